-- AlterTable
ALTER TABLE "deployment" ADD COLUMN     "prediction_sample_rate" DOUBLE PRECISION NOT NULL DEFAULT 1;

