import { Readable } from "node:stream";
import { db as defaultDb, type Db } from "@/lib/db";
import { accuracy, exportDemoModel, makeBlobs, trainSoftmax } from "@/lib/demo/blobs";
import { createModel, createVersionFromUpload, logMetrics } from "@/lib/registry";

export const DEMO_MODEL = "demo-blobs-classifier";

/**
 * Seeds one demo model with a version trained here. Idempotent: does nothing when the model exists.
 * The version goes through the normal upload path, so the worker validates it to Ready.
 */
export async function seedDemo(database: Db = defaultDb()): Promise<boolean> {
  if (await database.registeredModel.findUnique({ where: { name: DEMO_MODEL } })) return false;
  const train = makeBlobs(600, 1);
  const test = makeBlobs(300, 2);
  const trained = trainSoftmax(train);
  const onnxBytes = exportDemoModel(trained);
  await createModel(
    {
      name: DEMO_MODEL,
      description: "Demo: softmax regression over 4 features, 3 classes, trained at install time on synthetic data.",
      tags: ["demo", "classification"],
    },
    "seed",
    database,
  );
  const version = await createVersionFromUpload(
    {
      modelName: DEMO_MODEL,
      body: Readable.from([Buffer.from(onnxBytes)]),
      originalFilename: "demo-blobs-classifier.onnx",
      description: "Trained with 300 epochs of gradient descent on 600 synthetic rows.",
      actor: "seed",
    },
    { database },
  );
  await logMetrics(
    DEMO_MODEL,
    version.version,
    [
      { key: "accuracy", value: accuracy(test, trained), step: 0 },
      { key: "train_accuracy", value: accuracy(train, trained), step: 0 },
    ],
    database,
  );
  return true;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const created = await seedDemo();
  console.log(created ? `seeded ${DEMO_MODEL}` : `${DEMO_MODEL} already exists`);
  await defaultDb().$disconnect();
  const { closeQueues } = await import("@/lib/jobs");
  await closeQueues();
}
