/**
 * YAML files the deployment tests read as data (compose.yaml, the workflows, Pulumi stack files),
 * parsed as YAML 1.2 — what Compose and GitHub Actions read (so `on:` stays a key named "on").
 * Rendered manifests go through kubectl instead (support/kustomize.ts), as a cluster would see them.
 */
import { readFile } from "node:fs/promises";
import { parse, parseAllDocuments } from "yaml";

// Loosely typed views of parsed YAML, for reading fields.
export type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** One YAML document as plain data; throws on a syntax error or a duplicate key. */
export function parseYaml(text: string): Json {
  return parse(text, { uniqueKeys: true });
}

/** The YAML file at `file` (one document). */
export async function readYaml(file: string): Promise<Json> {
  return parseYaml(await readFile(file, "utf8"));
}

/** Every document of a multi-document YAML stream. */
export function parseYamlDocuments(text: string): Json[] {
  return parseAllDocuments(text).map((document) => document.toJS());
}
