/**
 * Runs the project's Terraform without a cluster or a provider download: in a temporary copy of
 * deploy/terraform where only the cluster-facing parts change — the outer module's kubernetes.tf
 * applies each object to Terraform's built-in `terraform_data` instead of `kubernetes_manifest`
 * (same for_each, same value), its required_providers block goes, and so does each example's
 * providers.tf. Everything else — the examples as users run them, the outer module's inputs and
 * outputs, the inner module — runs for real, each configuration in its own directory with its own
 * state.
 */
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import type { KubeObject } from "./kustomize.js";
import { SECRET_INPUTS, type Configuration, type SecretKnob } from "./matrix.js";
import { deployDir, run, terraformEnv } from "./tools.js";

export const terraformDir = join(deployDir, "terraform");

const CLUSTER_MARKERS = [/resource\s+"kubernetes_/, /provider\s+"kubernetes"/, /hashicorp\/kubernetes/];

export interface Workspace {
  /** The copy of deploy/terraform. */
  dir: string;
  remove(): Promise<void>;
}

/** Copies deploy/terraform (without local state or .terraform dirs) to a fresh temporary directory. */
export async function copyTerraform(prefix: string): Promise<Workspace> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  const dir = join(root, "terraform");
  await cp(terraformDir, dir, {
    recursive: true,
    filter: (source) => !/(^|\/)(\.terraform(\.lock\.hcl)?|terraform\.tfstate[^/]*)$/.test(source),
  });
  return { dir, remove: () => rm(root, { recursive: true, force: true }) };
}

/** A copy whose configurations need no provider: see the file comment for what changes. */
export async function providerFreeWorkspace(): Promise<Workspace> {
  const workspace = await copyTerraform("realtime-svg-tf-");
  try {
    await withoutCluster(workspace.dir);
  } catch (error) {
    await workspace.remove();
    throw error;
  }
  return workspace;
}

async function withoutCluster(dir: string): Promise<void> {
  const kubernetesTf = join(dir, "kubernetes.tf");
  const applying = await readFile(kubernetesTf, "utf8");
  const standIn = applying
    .replace('resource "kubernetes_manifest" "this"', 'resource "terraform_data" "this"')
    .replace(/^(\s*)manifest(\s*)=/m, "$1input$2=");
  if (!standIn.includes('resource "terraform_data" "this"') || !/^\s*input\s*=/m.test(standIn)) {
    throw new Error(`kubernetes.tf no longer has the expected resource "kubernetes_manifest" "this" { manifest = … }:\n${applying}`);
  }
  await writeFile(kubernetesTf, standIn);
  const versions = join(dir, "versions.tf");
  await writeFile(versions, removeBlock(await readFile(versions, "utf8"), "required_providers"));
  for (const example of await readdir(join(dir, "examples"))) {
    await rm(join(dir, "examples", example, "providers.tf"));
  }
  // Nothing that needs a cluster may remain.
  for (const file of await tfFiles(dir)) {
    const text = await readFile(file, "utf8");
    const marker = CLUSTER_MARKERS.find((pattern) => pattern.test(text));
    if (marker) throw new Error(`${relative(dir, file)} still refers to the cluster (${marker}); move that into kubernetes.tf or providers.tf`);
  }
}

/** Removes `name { … }` (with nested braces) from HCL text. */
export function removeBlock(text: string, name: string): string {
  const start = text.search(new RegExp(`^\\s*${name}\\s*\\{`, "m"));
  if (start < 0) throw new Error(`no ${name} block in:\n${text}`);
  let depth = 0;
  for (let i = text.indexOf("{", start); i < text.length; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}" && --depth === 0) return text.slice(0, start) + text.slice(i + 1);
  }
  throw new Error(`unbalanced ${name} block`);
}

export async function tfFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile() && entry.name.endsWith(".tf")).map((entry) => join(entry.parentPath, entry.name));
}

export function terraform(dir: string, args: string[]) {
  return run("terraform", args, { cwd: dir, env: terraformEnv });
}

/**
 * `terraform init -backend=false`, `apply` with the given input variables (written as an
 * .auto.tfvars.json file), then `terraform output -json manifests`.
 */
export async function applyAndReadManifests(dir: string, variables: Record<string, unknown> = {}): Promise<KubeObject[]> {
  if (Object.keys(variables).length > 0) {
    await writeFile(join(dir, "parity.auto.tfvars.json"), JSON.stringify(variables, null, 2));
  }
  await terraform(dir, ["init", "-backend=false", "-input=false", "-no-color"]);
  await terraform(dir, ["apply", "-auto-approve", "-input=false", "-no-color"]);
  const { stdout } = await terraform(dir, ["output", "-json", "manifests"]);
  return JSON.parse(stdout) as KubeObject[];
}

/**
 * What the stand-in resource received, by for_each key: the objects kubernetes.tf would apply.
 * (`terraform show -json` prints sensitive values too.)
 */
export async function appliedObjects(dir: string): Promise<Record<string, KubeObject>> {
  const { stdout } = await terraform(dir, ["show", "-json", "-no-color"]);
  interface Module {
    resources?: Array<{ type: string; index?: string; values: { input: KubeObject } }>;
    child_modules?: Module[];
  }
  const applied: Record<string, KubeObject> = {};
  const visit = (module: Module) => {
    for (const resource of module.resources ?? []) {
      if (resource.type === "terraform_data" && resource.index) applied[resource.index] = resource.values.input;
    }
    module.child_modules?.forEach(visit);
  };
  visit((JSON.parse(stdout) as { values: { root_module: Module } }).values.root_module);
  return applied;
}

/** A configuration's secret inputs as Terraform variables (TF_VAR_… / tfvars names). */
export const terraformSecrets = (configuration: Configuration): Record<string, string> =>
  Object.fromEntries(
    Object.entries(configuration.secrets).map(([knob, value]) => [SECRET_INPUTS[knob as SecretKnob].terraform, value]),
  );

/**
 * Every input of a variables.tf as a path: a variable's name, and for a variable of object type
 * each attribute (`ingress.tls.enabled`), however deep; maps, lists and `any` are one input each
 * (their entries are the user's). Reads the `type =` expressions with a small parser of
 * Terraform's type constraints, `optional(TYPE, DEFAULT)` included.
 */
export function terraformInputPaths(hcl: string): string[] {
  const paths: string[] = [];
  for (const match of hcl.matchAll(/^variable\s+"([^"]+)"\s*\{/gm)) {
    const name = match[1]!;
    const body = hcl.slice(match.index + match[0].length, blockEnd(hcl, match.index + match[0].length - 1));
    const typeAt = /^\s*type\s*=\s*/m.exec(body);
    if (!typeAt) throw new Error(`variable "${name}" has no type`);
    const type = new TypeParser(body, typeAt.index + typeAt[0].length).type();
    paths.push(...leafPaths(name, type));
  }
  return paths.sort();
}

type TypeTree = { object: Record<string, TypeTree> } | { leaf: string };

const leafPaths = (path: string, type: TypeTree): string[] =>
  "object" in type ? Object.entries(type.object).flatMap(([name, attribute]) => leafPaths(`${path}.${name}`, attribute)) : [path];

/** Index of the `}` closing the `{` at `open`, strings and comments skipped. */
function blockEnd(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const char = text[i];
    if (char === '"') i = stringEnd(text, i);
    else if (char === "#") i = text.indexOf("\n", i);
    else if (char === "{") depth++;
    else if (char === "}" && --depth === 0) return i;
    if (i < 0) break;
  }
  throw new Error("unbalanced braces in variables.tf");
}

function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') return i;
  }
  throw new Error("unterminated string in variables.tf");
}

class TypeParser {
  constructor(
    private readonly text: string,
    private at: number,
  ) {}

  type(): TypeTree {
    const name = this.word();
    if (["string", "number", "bool", "any"].includes(name)) return { leaf: name };
    this.expect("(");
    let result: TypeTree;
    if (name === "object") {
      this.expect("{");
      const attributes: Record<string, TypeTree> = {};
      while (this.peek() !== "}") {
        const attribute = this.word();
        this.expect("=");
        attributes[attribute] = this.type();
        if (this.peek() === ",") this.at++;
      }
      this.expect("}");
      result = { object: attributes };
    } else if (name === "optional") {
      result = this.type();
      if (this.peek() === ",") this.skipExpression();
    } else if (["list", "set", "map", "tuple"].includes(name)) {
      this.skipExpression();
      result = { leaf: name };
    } else {
      throw new Error(`unknown type constraint ${name} in variables.tf`);
    }
    this.expect(")");
    return result;
  }

  /** Skips to the `)` that closes the current call (not consuming it), e.g. a default value. */
  private skipExpression(): void {
    let depth = 0;
    for (; this.at < this.text.length; this.at++) {
      const char = this.text[this.at]!;
      if (char === '"') this.at = stringEnd(this.text, this.at);
      else if ("([{".includes(char)) depth++;
      else if (")]}".includes(char)) {
        if (depth === 0) return;
        depth--;
      }
    }
  }

  private skipSpace(): void {
    for (;;) {
      const space = /^(\s+|#[^\n]*)/.exec(this.text.slice(this.at));
      if (!space) return;
      this.at += space[0].length;
    }
  }

  private peek(): string {
    this.skipSpace();
    return this.text[this.at] ?? "";
  }

  private word(): string {
    this.skipSpace();
    const word = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(this.text.slice(this.at));
    if (!word) throw new Error(`expected a name in variables.tf at: ${this.text.slice(this.at, this.at + 40)}`);
    this.at += word[0].length;
    return word[0];
  }

  private expect(char: string): void {
    if (this.peek() !== char) throw new Error(`expected "${char}" in variables.tf at: ${this.text.slice(this.at, this.at + 40)}`);
    this.at++;
  }
}
