/** What `pulumi up` runs: the stack's RealtimeSvg, and its stack outputs. */
import { main } from "./program";

const app = main();

/** Base name of every object (Redis: `<name>-redis`). */
export const name = app.name;
export const namespace = app.namespace;
/** Every object created, as apiVersion/kind/name. */
export const objects = app.objects;
/** Where the server answers: the Ingress URL, or its in-cluster address. */
export const url = app.url;
/** "no" means a Redis pod restart loses every session: see deploy/README.md, "Redis". */
export const redisKeepsData = app.redisKeepsData;
export const notes =
  app.redisKeepsData === "no"
    ? "The in-cluster Redis keeps no data: a Redis pod restart (node drain, OOM kill, image update) deletes every session. Set redis.persistence.enabled for small production, or use an external Redis."
    : app.redisKeepsData === "yes"
      ? "The in-cluster Redis keeps an append-only file on its PersistentVolumeClaim: sessions survive a Redis restart."
      : "Sessions live in your external Redis.";
