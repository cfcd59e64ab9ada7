import * as v from "valibot";
import { AppError } from "../http/errors.js";

/** Request bodies are validated into these typed values once, at the edge of each handler. */

const Args = v.custom<Record<string, unknown>>(
  (value) => typeof value === "object" && value !== null && !Array.isArray(value),
  "args must be a JSON object",
);
const Expire = v.union([v.number(), v.string()], "expire must be a number of seconds or a duration string");
const Renew = v.boolean("renew must be true or false");
const Template = v.string("template must be a string");
const unknownField = "unknown field";
/** Largest width or height of an html session, CSS pixels. */
export const MAX_IMAGE_SIDE = 4096;
const Kind = v.picklist(["svg", "html"], 'kind must be "svg" or "html"');
const Side = v.pipe(
  v.number("width and height must be numbers"),
  v.integer("width and height must be whole numbers"),
  v.minValue(1, `width and height must be from 1 to ${MAX_IMAGE_SIDE}`),
  v.maxValue(MAX_IMAGE_SIDE, `width and height must be from 1 to ${MAX_IMAGE_SIDE}`),
);
const shape = { kind: v.optional(Kind), width: v.optional(Side), height: v.optional(Side) };

export const CreateSessionBody = v.strictObject(
  {
    session_id: v.string("session_id must be a string"),
    template: Template,
    args: v.optional(Args),
    expire: v.optional(Expire),
    renew: v.optional(Renew),
    ...shape,
  },
  unknownField,
);

export const ReplaceSessionBody = v.strictObject({
  args: Args,
  template: v.optional(Template),
  expire: v.optional(Expire),
  renew: v.optional(Renew),
  ...shape,
}, unknownField);

export const PatchSessionBody = v.strictObject({
  args: v.optional(Args),
  template: v.optional(Template),
  expire: v.optional(Expire),
  renew: v.optional(Renew),
  ...shape,
}, unknownField);

/** POST /api/preview: create's body without what only a stored session has (its id and lifetime). */
export const PreviewBody = v.omit(CreateSessionBody, ["session_id", "expire", "renew"]);

export type CreateSessionInput = v.InferOutput<typeof CreateSessionBody>;
export type ReplaceSessionInput = v.InferOutput<typeof ReplaceSessionBody>;
export type PatchSessionInput = v.InferOutput<typeof PatchSessionBody>;
export type PreviewInput = v.InferOutput<typeof PreviewBody>;

/** Parses `input` or throws a 400 naming the first offending field. */
export function parseBody<S extends v.GenericSchema>(schema: S, input: unknown): v.InferOutput<S> {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new AppError("invalid_body", "request body must be a JSON object");
  }
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  const issue = result.issues[0];
  const path = issue.path?.map((item) => String(item.key)).join(".");
  const missing = issue.input === undefined && issue.kind === "schema" && path;
  const message = missing ? `${path} is required` : path ? `${path}: ${issue.message}` : issue.message;
  throw new AppError(missing ? "missing_field" : "invalid_body", message);
}
