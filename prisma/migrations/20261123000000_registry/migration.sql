-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "model_format" AS ENUM ('ONNX', 'KERAS_H5', 'TFJS', 'PMML', 'UNKNOWN');

-- CreateEnum
CREATE TYPE "version_status" AS ENUM ('PENDING', 'READY', 'FAILED');

-- CreateEnum
CREATE TYPE "stage" AS ENUM ('NONE', 'STAGING', 'PRODUCTION', 'ARCHIVED');

-- CreateEnum
CREATE TYPE "version_source" AS ENUM ('UPLOAD', 'CONVERT', 'COMPRESS');

-- CreateEnum
CREATE TYPE "job_kind" AS ENUM ('VALIDATE', 'CONVERT', 'COMPRESS', 'EVALUATE');

-- CreateEnum
CREATE TYPE "job_state" AS ENUM ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED');

-- CreateTable
CREATE TABLE "registered_model" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "last_version" INTEGER NOT NULL DEFAULT 0,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "registered_model_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "artifact" (
    "sha256" TEXT NOT NULL,
    "size_bytes" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "artifact_pkey" PRIMARY KEY ("sha256")
);

-- CreateTable
CREATE TABLE "model_version" (
    "id" UUID NOT NULL,
    "model_id" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "format" "model_format" NOT NULL DEFAULT 'UNKNOWN',
    "artifact_sha256" TEXT NOT NULL,
    "size_bytes" BIGINT NOT NULL,
    "original_filename" TEXT NOT NULL DEFAULT '',
    "status" "version_status" NOT NULL DEFAULT 'PENDING',
    "status_message" TEXT,
    "stage" "stage" NOT NULL DEFAULT 'NONE',
    "signature" JSONB,
    "opset" INTEGER,
    "producer" TEXT,
    "parameter_count" BIGINT,
    "parent_version_id" UUID,
    "source" "version_source" NOT NULL DEFAULT 'UPLOAD',
    "source_detail" JSONB,
    "description" TEXT NOT NULL DEFAULT '',
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "model_version_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "version_metric" (
    "id" BIGSERIAL NOT NULL,
    "version_id" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,
    "step" INTEGER NOT NULL DEFAULT 0,
    "timestamp" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "version_metric_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "stage_transition" (
    "id" BIGSERIAL NOT NULL,
    "version_id" UUID NOT NULL,
    "from_stage" "stage" NOT NULL,
    "to_stage" "stage" NOT NULL,
    "actor" TEXT NOT NULL,
    "comment" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "stage_transition_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "job" (
    "id" UUID NOT NULL,
    "kind" "job_kind" NOT NULL,
    "state" "job_state" NOT NULL DEFAULT 'QUEUED',
    "progress" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "version_id" UUID,
    "payload" JSONB NOT NULL DEFAULT '{}',
    "result" JSONB,
    "error" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "job_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "registered_model_name_key" ON "registered_model"("name");

-- CreateIndex
CREATE INDEX "registered_model_updated_at_idx" ON "registered_model"("updated_at" DESC);

-- CreateIndex
CREATE INDEX "model_version_artifact_sha256_idx" ON "model_version"("artifact_sha256");

-- CreateIndex
CREATE UNIQUE INDEX "model_version_model_id_version_key" ON "model_version"("model_id", "version");

-- CreateIndex
CREATE INDEX "version_metric_version_id_key_timestamp_idx" ON "version_metric"("version_id", "key", "timestamp");

-- CreateIndex
CREATE INDEX "stage_transition_version_id_created_at_idx" ON "stage_transition"("version_id", "created_at");

-- CreateIndex
CREATE INDEX "job_created_at_idx" ON "job"("created_at" DESC);

-- CreateIndex
CREATE INDEX "job_version_id_idx" ON "job"("version_id");

-- AddForeignKey
ALTER TABLE "model_version" ADD CONSTRAINT "model_version_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "registered_model"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_version" ADD CONSTRAINT "model_version_artifact_sha256_fkey" FOREIGN KEY ("artifact_sha256") REFERENCES "artifact"("sha256") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_version" ADD CONSTRAINT "model_version_parent_version_id_fkey" FOREIGN KEY ("parent_version_id") REFERENCES "model_version"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "version_metric" ADD CONSTRAINT "version_metric_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "model_version"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "stage_transition" ADD CONSTRAINT "stage_transition_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "model_version"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "job" ADD CONSTRAINT "job_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "model_version"("id") ON DELETE SET NULL ON UPDATE CASCADE;


-- At most one Production version per model: two concurrent promotions cannot both commit.
CREATE UNIQUE INDEX "model_version_one_production_per_model" ON "model_version"("model_id") WHERE "stage" = 'PRODUCTION';

-- Search by name substring on the models list.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX "registered_model_name_trgm_idx" ON "registered_model" USING gin ("name" gin_trgm_ops);
