-- CreateEnum
CREATE TYPE "dataset_format" AS ENUM ('CSV', 'JSONL');

-- CreateEnum
CREATE TYPE "evaluation_task" AS ENUM ('CLASSIFICATION', 'REGRESSION');

-- AlterTable
ALTER TABLE "version_metric" ADD COLUMN     "dataset_id" UUID;

-- CreateTable
CREATE TABLE "dataset" (
    "id" UUID NOT NULL,
    "model_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "format" "dataset_format" NOT NULL,
    "artifact_sha256" TEXT NOT NULL,
    "size_bytes" BIGINT NOT NULL,
    "row_count" INTEGER NOT NULL,
    "columns" JSONB NOT NULL,
    "label_column" TEXT,
    "preview" JSONB NOT NULL,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "dataset_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "evaluation" (
    "id" UUID NOT NULL,
    "version_id" UUID NOT NULL,
    "dataset_id" UUID NOT NULL,
    "job_id" UUID NOT NULL,
    "task" "evaluation_task" NOT NULL,
    "mapping" JSONB NOT NULL,
    "rows_total" INTEGER NOT NULL,
    "rows_done" INTEGER NOT NULL DEFAULT 0,
    "checkpoint" JSONB,
    "report" JSONB,
    "predictions_sha256" TEXT,
    "rows_per_second" DOUBLE PRECISION,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "evaluation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "prediction_log" (
    "request_id" TEXT NOT NULL,
    "model_id" UUID NOT NULL,
    "version_id" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "row" INTEGER NOT NULL DEFAULT 0,
    "predicted" DOUBLE PRECISION NOT NULL,
    "confidence" DOUBLE PRECISION,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "label" DOUBLE PRECISION,
    "labelled_at" TIMESTAMPTZ(3),

    CONSTRAINT "prediction_log_pkey" PRIMARY KEY ("model_id","request_id","row")
);

-- CreateIndex
CREATE INDEX "dataset_artifact_sha256_idx" ON "dataset"("artifact_sha256");

-- CreateIndex
CREATE UNIQUE INDEX "dataset_model_id_name_key" ON "dataset"("model_id", "name");

-- CreateIndex
CREATE UNIQUE INDEX "evaluation_job_id_key" ON "evaluation"("job_id");

-- CreateIndex
CREATE INDEX "evaluation_version_id_created_at_idx" ON "evaluation"("version_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "evaluation_dataset_id_idx" ON "evaluation"("dataset_id");

-- CreateIndex
CREATE INDEX "prediction_log_model_id_created_at_idx" ON "prediction_log"("model_id", "created_at");

-- CreateIndex
CREATE INDEX "prediction_log_created_at_idx" ON "prediction_log"("created_at");

-- AddForeignKey
ALTER TABLE "version_metric" ADD CONSTRAINT "version_metric_dataset_id_fkey" FOREIGN KEY ("dataset_id") REFERENCES "dataset"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "dataset" ADD CONSTRAINT "dataset_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "registered_model"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "dataset" ADD CONSTRAINT "dataset_artifact_sha256_fkey" FOREIGN KEY ("artifact_sha256") REFERENCES "artifact"("sha256") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "evaluation" ADD CONSTRAINT "evaluation_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "model_version"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "evaluation" ADD CONSTRAINT "evaluation_dataset_id_fkey" FOREIGN KEY ("dataset_id") REFERENCES "dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "evaluation" ADD CONSTRAINT "evaluation_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "job"("id") ON DELETE CASCADE ON UPDATE CASCADE;

