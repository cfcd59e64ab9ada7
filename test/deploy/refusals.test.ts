/**
 * Helm, Pulumi and Terraform refuse the same mistakes (support/refusals.ts): every case of the
 * table through every tool, each required to stop before anything is created and to name the
 * knobs the case lists; and every accepted neighbour through every tool, each required to take it.
 * kubectl has no validation of its own (an overlay is literal YAML), so it is not here.
 *
 * Helm: `helm template` must exit non-zero (`helm lint` alone passes a template's `fail`).
 * Pulumi: the program must throw before registering a resource. Terraform: a `plan` of the
 * provider-free inner module must stop on a validation error — all cases in one `terraform test`
 * process, one test file per case (a failed run skips the rest of its file), read as JSON.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { settingsFor, defaultsFor } from "../../runtime/config.js";
import { chartDir, helmBinary, helmExit } from "./support/helm.js";
import { KNOBS } from "./support/knobs.js";
import { runPulumiProgram, pulumiProject } from "./support/pulumi.js";
import { ACCEPTED, nameIn, REFUSALS, tftestFile, type Inputs } from "./support/refusals.js";
import { copyTerraform, terraform, type Workspace } from "./support/terraform.js";
import { allowMissingTools, missingTools, requireTools } from "./support/tools.js";
import { limited } from "./support/limited.js";

const skipTerraform = allowMissingTools && missingTools(["terraform"]).length > 0;

/** What one tool did with one case. */
interface Outcome {
  refused: boolean;
  /** The tool's own words: helm's stderr, the program's error, Terraform's error diagnostics. */
  said: string;
}

let scratch: Workspace | undefined;
let files = 0;
const helmSlot = limited(3);

async function helmOutcome({ helm }: Inputs): Promise<Outcome> {
  const args = ["template", helm.release ?? "realtime-svg", chartDir, "--namespace", helm.namespace ?? "default"];
  if (helm.values) {
    const file = join(scratch!.dir, `values-${++files}.yaml`);
    await writeFile(file, JSON.stringify(helm.values, null, 2)); // JSON is YAML
    args.push("-f", file);
  }
  args.push(...(helm.set ?? []));
  const result = await helmSlot(() => helmExit(args));
  return { refused: !result.ok, said: result.stderr };
}

async function pulumiOutcome({ pulumi }: Inputs): Promise<Outcome & { registered: number }> {
  const { name: project } = await pulumiProject();
  const config = Object.fromEntries(Object.entries(pulumi.config ?? {}).map(([key, value]) => [`${project}:${key}`, value]));
  return runPulumiProgram({ config, secrets: pulumi.secrets }).then(
    () => ({ refused: false, said: "", registered: -1 }),
    (error: Error & { registered?: number }) => ({ refused: true, said: error.message, registered: error.registered ?? -1 }),
  );
}

/**
 * Every case's Terraform inputs as one .tftest.hcl file each, in a copy of the inner module, run
 * by a single `terraform test -json`; outcomes by file name.
 */
async function terraformOutcomes(cases: Array<{ id: string; variables: Record<string, unknown> }>): Promise<Map<string, Outcome & { status: string }>> {
  const inner = join(scratch!.dir, "modules", "manifests");
  const dir = join(inner, "refusals");
  await mkdir(dir);
  await Promise.all(cases.map(({ id, variables }) => writeFile(join(dir, `${id}.tftest.hcl`), tftestFile("case", variables))));
  await terraform(inner, ["init", "-backend=false", "-input=false", "-no-color"]);
  // Exit status 1 when any case fails, which is the point: read the JSON instead.
  const stdout = await terraform(inner, ["test", "-test-directory=refusals", "-json", "-no-color"]).then(
    (result) => result.stdout,
    (error: Error) => error.message,
  );
  interface Line {
    type: string;
    "@testfile"?: string;
    test_run?: { progress: string; status?: string };
    diagnostic?: { severity: string; summary: string; detail?: string };
  }
  const outcomes = new Map<string, Outcome & { status: string; validation: boolean }>();
  const of = (file: string) => {
    const id = file.replace(/^refusals\//, "").replace(/\.tftest\.hcl$/, "");
    if (!outcomes.has(id)) outcomes.set(id, { refused: false, said: "", status: "none", validation: false });
    return outcomes.get(id)!;
  };
  for (const text of stdout.split("\n")) {
    if (!text.startsWith("{")) continue;
    const line = JSON.parse(text) as Line;
    if (!line["@testfile"]) continue;
    const outcome = of(line["@testfile"]);
    if (line.type === "test_run" && line.test_run?.progress === "complete") outcome.status = line.test_run.status ?? "none";
    if (line.type === "diagnostic" && line.diagnostic?.severity === "error") {
      outcome.refused = true;
      outcome.said += `${line.diagnostic.summary}: ${line.diagnostic.detail ?? ""}\n`;
      // A validation rule's error, not a type error or an undeclared variable.
      if (line.diagnostic.summary === "Invalid value for variable") outcome.validation = true;
    }
  }
  for (const outcome of outcomes.values()) outcome.refused &&= outcome.validation && outcome.status === "error";
  return outcomes;
}

const refusalId = (i: number) => `refusal-${String(i).padStart(3, "0")}`;
const acceptedId = (i: number) => `accepted-${String(i).padStart(3, "0")}`;

describe("the refusal table", () => {
  it("names only knobs of knobs.ts and settings the server has", () => {
    const settings = new Set(settingsFor("node").map((setting) => setting.env));
    for (const refusal of REFUSALS) {
      for (const name of refusal.names) {
        // MAX_STREEMS is the misspelling the "a setting the server does not have" case is about.
        if (/^[A-Z][A-Z0-9_]*$/.test(name) && name !== "MAX_STREEMS") expect(settings.has(name), `${refusal.what}: ${name}`).toBe(true);
        else expect(() => nameIn("terraform", name), refusal.what).not.toThrow();
      }
    }
  });

  it("has a case naming every knob that takes a value that can be wrong", () => {
    // Booleans that no other value forbids (most booleans are named by a combination case:
    // ingress.enabled with knative.enabled…). autoscaling.enabled is ignored with Knative, as the
    // spec has it, rather than refused.
    const anyValue = new Set(["ingress.tls.enabled", "networkPolicy.enabled", "autoscaling.enabled"]);
    const named = new Set(REFUSALS.flatMap((refusal) => refusal.names));
    const unnamed = KNOBS.flatMap((knob) => knob.pulumi).filter((path) => !named.has(path) && !anyValue.has(path));
    expect(unnamed).toEqual([]);
  });

  it("refuses duration settings that are not digits only because the server refuses them too", () => {
    // Every tool refuses a *_MS or *_SECONDS setting that is not a whole number; were the server
    // to take such a value, the tools would refuse a working configuration.
    const durations = settingsFor("node").filter((setting) => /_(MS|SECONDS)$/.test(setting.env));
    expect(durations.map((setting) => setting.env)).toContain("DRAIN_SECONDS");
    for (const setting of durations) {
      expect(() => setting.apply(defaultsFor("node"), "1.5"), setting.env).toThrow();
      expect(() => setting.apply(defaultsFor("node"), "5m"), setting.env).toThrow();
    }
  });
});

describe("Helm, Pulumi and Terraform refuse the same inputs, naming the knobs", () => {
  let terraformResults: Promise<Map<string, Outcome & { status: string }>> | undefined;

  beforeAll(async () => {
    await helmBinary();
    scratch = await copyTerraform("realtime-svg-refusals-");
    if (!skipTerraform) {
      requireTools(["terraform"]);
      terraformResults = terraformOutcomes([
        ...REFUSALS.map((refusal, i) => ({ id: refusalId(i), variables: refusal.terraform })),
        ...ACCEPTED.map((accepted, i) => ({ id: acceptedId(i), variables: accepted.terraform })),
      ]);
      terraformResults.catch(() => {});
    }
  }, 60_000);

  afterAll(() => scratch?.remove());

  describe("Helm (helm template exits non-zero)", () => {
    for (const refusal of REFUSALS) {
      it.concurrent(`refuses ${refusal.what}`, async () => {
        const outcome = await helmOutcome(refusal);
        expect(outcome.refused, "helm template rendered it").toBe(true);
        for (const name of refusal.names) expect(outcome.said, `names ${nameIn("helm", name)}`).toContain(nameIn("helm", name));
      });
    }
    for (const accepted of ACCEPTED) {
      it.concurrent(`accepts ${accepted.what}`, async () => {
        const outcome = await helmOutcome(accepted);
        expect(outcome.said).toBe("");
        expect(outcome.refused).toBe(false);
      });
    }
  });

  describe("Pulumi (the program throws before creating a resource)", () => {
    for (const refusal of REFUSALS) {
      it(`refuses ${refusal.what}`, async () => {
        const outcome = await pulumiOutcome(refusal);
        expect(outcome.refused, "the program ran").toBe(true);
        expect(outcome.said).toMatch(/^realtime-svg: the configuration is not valid:/);
        // Refused for the case's reason, not for how the test spelled its input.
        expect(outcome.said).not.toMatch(/unknown config key|stored in plain text/);
        expect(outcome.registered).toBe(0);
        for (const name of refusal.names) expect(outcome.said, `names ${nameIn("pulumi", name)}`).toContain(nameIn("pulumi", name));
      });
    }
    for (const accepted of ACCEPTED) {
      it(`accepts ${accepted.what}`, async () => {
        const outcome = await pulumiOutcome(accepted);
        expect(outcome.said).toBe("");
      });
    }
  });

  describe.skipIf(skipTerraform)("Terraform (plan stops on a validation error)", () => {
    for (const [i, refusal] of REFUSALS.entries()) {
      it(`refuses ${refusal.what}`, async () => {
        const outcome = (await terraformResults!).get(refusalId(i));
        expect(outcome, "terraform test ran the case").toBeDefined();
        expect(outcome!.refused, `a validation error (run status ${outcome!.status}): ${outcome!.said}`).toBe(true);
        for (const name of refusal.names) expect(outcome!.said, `names ${nameIn("terraform", name)}`).toContain(nameIn("terraform", name));
      });
    }
    for (const [i, accepted] of ACCEPTED.entries()) {
      it(`accepts ${accepted.what}`, async () => {
        const outcome = (await terraformResults!).get(acceptedId(i));
        expect(outcome?.said).toBe("");
        expect(outcome?.status).toBe("pass");
      });
    }
  });
});
