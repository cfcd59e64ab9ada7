/** Renders a kustomize directory with `kubectl kustomize` into plain objects. */
import { run } from "./tools.js";

export type KubeObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
};

/**
 * `kubectl kustomize DIR`, then `kubectl patch --local` with an empty merge patch as an offline
 * YAML-to-JSON converter (no YAML parser among the project's dependencies; nothing is changed).
 */
export async function renderKustomization(dir: string): Promise<KubeObject[]> {
  const { stdout: yaml } = await run("kubectl", ["kustomize", dir]);
  const { stdout: json } = await run("kubectl", ["patch", "--local", "-f", "-", "--type", "merge", "-p", "{}", "-o", "json"], {
    input: yaml,
    // --local never contacts a cluster; an empty KUBECONFIG keeps kubectl from reading the user's.
    env: { ...process.env, KUBECONFIG: "/dev/null" },
  });
  const objects = splitJsonStream(json) as KubeObject[];
  const documents = yaml.split(/^---$/m).filter((doc) => doc.trim() !== "").length;
  if (objects.length !== documents) {
    throw new Error(`kubectl kustomize ${dir} rendered ${documents} documents but ${objects.length} came back as JSON`);
  }
  return objects;
}

/** Parses concatenated JSON values (`{…}{…}`), as kubectl prints several objects. */
export function splitJsonStream(text: string): unknown[] {
  const values: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === "\\") i++;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') inString = true;
    else if (char === "{" || char === "[") {
      if (depth++ === 0) start = i;
    } else if (char === "}" || char === "]") {
      if (--depth === 0) values.push(JSON.parse(text.slice(start, i + 1)));
    }
  }
  if (depth !== 0) throw new Error("unterminated JSON in kubectl output");
  return values;
}
