import { once } from "node:events";
import type { Redis } from "ioredis";
import { config } from "@/lib/config";
import { createRedis } from "@/lib/jobs/redis";
import { log } from "@/lib/log";

/**
 * Deployment changes are pushed to serving replicas over Redis pub/sub. Delivery is best effort:
 * replicas also re-read the desired state every SERVING_SYNC_INTERVAL_MS, so a change made while
 * Redis is down still arrives.
 */
export const deploymentChannel = () => `${config().REDIS_PREFIX}:deployments`;

const globalPublisher = globalThis as unknown as { modelyardDeploymentPublisher?: Redis };

function publisher(): Redis {
  // No offline queue: while Redis is away a publish fails at once instead of piling up.
  if (!globalPublisher.modelyardDeploymentPublisher) {
    const client = createRedis({ maxRetriesPerRequest: 1, enableOfflineQueue: false });
    client.on("error", (error) => log.debug({ err: error }, "deployment publisher connection error"));
    globalPublisher.modelyardDeploymentPublisher = client;
  }
  return globalPublisher.modelyardDeploymentPublisher;
}

/** The publisher once connected; a fresh connection gets a moment to come up, a dead one does not. */
async function connectedPublisher(): Promise<Redis> {
  const client = publisher();
  if (client.status === "ready") return client;
  await once(client, "ready", { signal: AbortSignal.timeout(1000) }).catch(() => {
    throw new Error(`Redis is not reachable (connection ${client.status})`);
  });
  return client;
}

export async function announceDeploymentChange(modelName: string): Promise<void> {
  try {
    await (await connectedPublisher()).publish(deploymentChannel(), JSON.stringify({ modelName }));
  } catch (error) {
    log.warn(
      { err: error, modelName },
      "could not announce a deployment change; replicas will pick it up on their next sync",
    );
  }
}

export async function closeDeploymentPublisher(): Promise<void> {
  const client = globalPublisher.modelyardDeploymentPublisher;
  globalPublisher.modelyardDeploymentPublisher = undefined;
  client?.disconnect();
}

/** Calls `onChange` for every announced change; reconnects by itself after Redis restarts. */
export function subscribeDeploymentChanges(onChange: (modelName: string | null) => void): { close(): void } {
  const subscriber = createRedis();
  subscriber.on("error", (error) => log.debug({ err: error }, "deployment subscription connection error"));
  // After a reconnect a change may have been missed: treat it as "everything may have changed".
  subscriber.on("ready", () => onChange(null));
  void subscriber.subscribe(deploymentChannel()).catch((error: unknown) => {
    log.warn({ err: error }, "could not subscribe to deployment changes; relying on periodic sync");
  });
  subscriber.on("message", (_channel, message: string) => {
    try {
      const parsed = JSON.parse(message) as { modelName?: unknown };
      onChange(typeof parsed.modelName === "string" ? parsed.modelName : null);
    } catch {
      onChange(null);
    }
  });
  return { close: () => subscriber.disconnect() };
}
