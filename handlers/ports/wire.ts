import * as v from "valibot";

/**
 * Values that cross a process boundary (stored records, channel messages) come from replicas of
 * other versions: each is JSON checked against its schema, never trusted by a cast.
 */
export function decodeJson<S extends v.GenericSchema>(schema: S, json: string): v.InferOutput<S> | null {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  const result = v.safeParse(schema, value);
  return result.success ? result.output : null;
}
