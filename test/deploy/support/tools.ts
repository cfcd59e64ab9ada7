/**
 * The command-line tools the deployment tests drive (kubectl, terraform), found on PATH.
 * A missing tool fails the tests with a message naming it, unless DEPLOY_TESTS_ALLOW_MISSING_TOOLS=1
 * says skipping is fine (then the suites report as skipped, never as passed).
 */
import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
export const deployDir = join(repoRoot, "deploy");

export type Tool = "kubectl" | "terraform";

const INSTALL: Record<Tool, string> = {
  kubectl: "kubectl (any recent release; only `kubectl kustomize` and `kubectl patch --local` are used, no cluster)",
  terraform: "terraform >= 1.9 (no provider is downloaded: the tested module is provider-free)",
};

export const allowMissingTools = process.env["DEPLOY_TESTS_ALLOW_MISSING_TOOLS"] === "1";

export function findTool(tool: Tool): string | undefined {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, tool);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** The tools that are missing, each with a line saying what to install. */
export function missingTools(tools: Tool[]): string[] {
  return tools.filter((tool) => !findTool(tool)).map((tool) => `${tool} not found on PATH: install ${INSTALL[tool]}`);
}

/** Throws a loud error naming every missing tool (the caller decides whether to skip instead). */
export function requireTools(tools: Tool[]): void {
  const missing = missingTools(tools);
  if (missing.length === 0) return;
  throw new Error(
    [
      "DEPLOYMENT TESTS CANNOT RUN:",
      ...missing.map((line) => `  - ${line}`),
      "CI has both tools. To skip these tests on purpose, set DEPLOY_TESTS_ALLOW_MISSING_TOOLS=1.",
    ].join("\n"),
  );
}

/** Terraform's environment: the project's CLI config, no prompts, no update checks. */
export const terraformEnv: NodeJS.ProcessEnv = {
  ...process.env,
  TF_CLI_CONFIG_FILE: join(deployDir, "terraform", "terraform.rc"),
  TF_IN_AUTOMATION: "1",
  TF_INPUT: "0",
  CHECKPOINT_DISABLE: "1",
};

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs a command; a non-zero exit rejects with the command line and everything it printed. */
export function run(
  file: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { cwd: options.cwd, env: options.env ?? process.env, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`${file} ${args.join(" ")} (in ${options.cwd ?? process.cwd()}) failed: ${error.message}\n${stdout}\n${stderr}`));
        } else {
          resolve({ stdout, stderr });
        }
      },
    );
    if (options.input !== undefined) child.stdin!.end(options.input);
  });
}
