-- CreateTable
CREATE TABLE "deployment" (
    "id" UUID NOT NULL,
    "model_id" UUID NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "max_batch_size" INTEGER NOT NULL DEFAULT 32,
    "max_queue_delay_ms" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "max_queue_size" INTEGER NOT NULL DEFAULT 1024,
    "request_timeout_ms" INTEGER NOT NULL DEFAULT 30000,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "deployment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "serving_replica" (
    "id" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "hostname" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "heartbeat_at" TIMESTAMPTZ(3) NOT NULL,
    "models" JSONB NOT NULL DEFAULT '[]',

    CONSTRAINT "serving_replica_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "endpoint_metric_bucket" (
    "id" BIGSERIAL NOT NULL,
    "model_id" UUID NOT NULL,
    "version_id" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "replica_id" TEXT NOT NULL,
    "resolution_seconds" INTEGER NOT NULL,
    "bucket_start" TIMESTAMPTZ(3) NOT NULL,
    "requests" INTEGER NOT NULL,
    "errors" INTEGER NOT NULL,
    "latency" JSONB NOT NULL,
    "queue_ms_sum" DOUBLE PRECISION NOT NULL,
    "compute_ms_sum" DOUBLE PRECISION NOT NULL,
    "batch_sizes" JSONB NOT NULL,
    "last_request_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "endpoint_metric_bucket_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "deployment_model_id_key" ON "deployment"("model_id");

-- CreateIndex
CREATE INDEX "serving_replica_heartbeat_at_idx" ON "serving_replica"("heartbeat_at");

-- CreateIndex
CREATE INDEX "endpoint_metric_bucket_model_id_resolution_seconds_bucket_s_idx" ON "endpoint_metric_bucket"("model_id", "resolution_seconds", "bucket_start");

-- CreateIndex
CREATE INDEX "endpoint_metric_bucket_resolution_seconds_bucket_start_idx" ON "endpoint_metric_bucket"("resolution_seconds", "bucket_start");

-- CreateIndex
CREATE UNIQUE INDEX "endpoint_metric_bucket_version_id_replica_id_resolution_sec_key" ON "endpoint_metric_bucket"("version_id", "replica_id", "resolution_seconds", "bucket_start");

-- AddForeignKey
ALTER TABLE "deployment" ADD CONSTRAINT "deployment_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "registered_model"("id") ON DELETE CASCADE ON UPDATE CASCADE;

