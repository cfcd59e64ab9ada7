/**
 * The Terraform module's own checks: formatting, `terraform validate` and `terraform test` of the
 * provider-free inner module, and that the outer module is a faithful wrapper (same inputs, all
 * passed through, only the kubernetes_manifest resource and provider setup on top).
 */
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { copyTerraform, terraform, terraformDir, type Workspace } from "./support/terraform.js";
import { allowMissingTools, missingTools, requireTools, run, terraformEnv } from "./support/tools.js";

const skip = allowMissingTools && missingTools(["terraform"]).length > 0;
const read = (...path: string[]) => readFile(join(terraformDir, ...path), "utf8");

/** Top-level block headers of an HCL file, e.g. `resource "kubernetes_manifest" "this"`. */
const blocks = (hcl: string) => [...hcl.matchAll(/^(\w+(?:\s+"[^"]*")*)\s*\{/gm)].map((match) => match[1]!.replace(/\s+/g, " "));
const variableNames = (hcl: string) => [...hcl.matchAll(/^variable\s+"([^"]+)"/gm)].map((match) => match[1]!);

describe("the Terraform module", () => {
  it("keeps the outer module's inputs identical to the inner module's", async () => {
    expect(await read("variables.tf")).toBe(await read("modules", "manifests", "variables.tf"));
  });

  it("passes every input through to the inner module, and nothing else", async () => {
    const names = variableNames(await read("variables.tf"));
    const main = await read("main.tf");
    const passed = [...main.matchAll(/^\s+(\w+)\s*=\s*var\.(\w+)\s*$/gm)].map((match) => [match[1], match[2]]);
    expect(passed).toEqual(names.map((name) => [name, name]));
  });

  it("exposes the inner module's outputs under the same names", async () => {
    const outputs = (hcl: string) => [...hcl.matchAll(/^output\s+"([^"]+)"/gm)].map((match) => match[1]);
    expect(outputs(await read("outputs.tf"))).toEqual(outputs(await read("modules", "manifests", "outputs.tf")));
  });

  it("confines the cluster to kubernetes.tf and each example's providers.tf", async () => {
    expect(blocks(await read("kubernetes.tf"))).toEqual(['resource "kubernetes_manifest" "this"']);
    for (const example of await readdir(join(terraformDir, "examples"))) {
      expect(blocks(await read("examples", example, "providers.tf")), example).toEqual([
        "terraform",
        'provider "kubernetes"',
        'variable "kubeconfig"',
        'variable "kube_context"',
      ]);
    }
  });

  it("documents every input in the README's inputs table", async () => {
    const readme = await read("README.md");
    for (const name of variableNames(await read("variables.tf"))) {
      expect(readme, `README row for ${name}`).toMatch(new RegExp(`^\\| \`${name}\` \\|`, "m"));
    }
  });

  describe.skipIf(skip)("with terraform", () => {
    let workspace: Workspace | undefined;
    afterAll(() => workspace?.remove());

    it("finds nothing to reformat (terraform fmt -check -recursive)", async () => {
      requireTools(["terraform"]);
      await run("terraform", ["fmt", "-check", "-recursive", "-diff", terraformDir], { env: terraformEnv });
    });

    it("validates the inner module and passes its terraform test files", async () => {
      requireTools(["terraform"]);
      workspace = await copyTerraform("realtime-svg-tf-test-");
      const inner = join(workspace.dir, "modules", "manifests");
      await terraform(inner, ["init", "-backend=false", "-input=false", "-no-color"]);
      await terraform(inner, ["validate", "-no-color"]);
      const { stdout } = await terraform(inner, ["test", "-no-color"]);
      expect(stdout).toMatch(/Success! \d+ passed, 0 failed\./);
    }, 120_000);
  });
});
