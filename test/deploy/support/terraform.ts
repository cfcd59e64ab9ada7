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
