-- CreateTable
CREATE TABLE "serving_load_failure" (
    "version_id" UUID NOT NULL,
    "artifact_sha256" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "deployment_changed_at" TIMESTAMPTZ(3) NOT NULL,
    "failed_at" TIMESTAMPTZ(3) NOT NULL,
    "replica_id" TEXT NOT NULL,

    CONSTRAINT "serving_load_failure_pkey" PRIMARY KEY ("version_id")
);

-- AddForeignKey
ALTER TABLE "serving_load_failure" ADD CONSTRAINT "serving_load_failure_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "model_version"("id") ON DELETE CASCADE ON UPDATE CASCADE;
