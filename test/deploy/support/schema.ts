/**
 * Validates rendered objects against the Kubernetes schemas of kubernetes-models (and
 * @kubernetes-models/knative for the Knative Service), in two ways:
 * - the models' own validate(): types, enums, required fields — but it lets unknown fields through;
 * - unknownFields(): every object becomes an object literal typed with the model's interface and is
 *   type-checked by the TypeScript compiler, whose excess-property check rejects any field the
 *   schema does not know (a misspelled `readinesProbe` included), at any depth.
 */
import { join } from "node:path";
import ts from "typescript";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { Ingress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { Service as KnativeService } from "@kubernetes-models/knative/serving.knative.dev/v1/Service";
import type { KubeObject } from "./kustomize.js";
import { repoRoot } from "./tools.js";

interface Schema {
  /** Builds the model; its validate() throws on a schema violation. */
  model: new (data: never) => { validate(): void };
  /** Where the model's TypeScript interface lives, and its name. */
  module: string;
  type: string;
}

const SCHEMAS: Record<string, Schema> = {
  "v1/ConfigMap": { model: ConfigMap, module: "kubernetes-models/v1/ConfigMap", type: "IConfigMap" },
  "v1/Secret": { model: Secret, module: "kubernetes-models/v1/Secret", type: "ISecret" },
  "v1/Service": { model: Service, module: "kubernetes-models/v1/Service", type: "IService" },
  "apps/v1/Deployment": { model: Deployment, module: "kubernetes-models/apps/v1/Deployment", type: "IDeployment" },
  "policy/v1/PodDisruptionBudget": { model: PodDisruptionBudget, module: "kubernetes-models/policy/v1/PodDisruptionBudget", type: "IPodDisruptionBudget" },
  "v1/PersistentVolumeClaim": { model: PersistentVolumeClaim, module: "kubernetes-models/v1/PersistentVolumeClaim", type: "IPersistentVolumeClaim" },
  "autoscaling/v2/HorizontalPodAutoscaler": {
    model: HorizontalPodAutoscaler,
    module: "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler",
    type: "IHorizontalPodAutoscaler",
  },
  "networking.k8s.io/v1/Ingress": { model: Ingress, module: "kubernetes-models/networking.k8s.io/v1/Ingress", type: "IIngress" },
  "networking.k8s.io/v1/NetworkPolicy": { model: NetworkPolicy, module: "kubernetes-models/networking.k8s.io/v1/NetworkPolicy", type: "INetworkPolicy" },
  "serving.knative.dev/v1/Service": { model: KnativeService, module: "@kubernetes-models/knative/serving.knative.dev/v1/Service", type: "IService" },
};

export const describeObject = (object: KubeObject) =>
  `${object.apiVersion}/${object.kind} ${object.metadata.namespace ?? "-"}/${object.metadata.name}`;

function schemaOf(object: KubeObject): Schema {
  const schema = SCHEMAS[`${object.apiVersion}/${object.kind}`];
  if (!schema) throw new Error(`no schema for ${describeObject(object)}: add its model to test/deploy/support/schema.ts`);
  return schema;
}

/** The models' validate(): one message per object that fails. */
export function schemaErrors(objects: KubeObject[]): string[] {
  const errors: string[] = [];
  for (const object of objects) {
    const { model } = schemaOf(object);
    try {
      new model(structuredClone(object) as never).validate();
    } catch (error) {
      errors.push(`${describeObject(object)}: ${(error as Error).message}`);
    }
  }
  return errors;
}

const VIRTUAL_FILE = join(repoRoot, "test", "deploy", "support", "__objects_under_check__.ts");
const COMPILER_OPTIONS: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  lib: ["lib.es2022.d.ts"],
  types: [],
  skipLibCheck: true,
};
let previousProgram: ts.Program | undefined;

/**
 * Fields the schemas do not know (and fields of the wrong type), as "<object>: <path>: <message>".
 * All objects are checked in one compiler run.
 */
export function unknownFields(objects: KubeObject[]): string[] {
  const schemas = objects.map(schemaOf);
  const imports = [...new Set(schemas.map((schema, i) => `import type { ${schema.type} as T${i} } from "${schema.module}";`))];
  const declarations = objects.map((object, i) => `export const object${i}: T${i} = ${JSON.stringify(object, null, 2)};`);
  const source = [...imports, ...declarations].join("\n");

  const host = ts.createCompilerHost(COMPILER_OPTIONS);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (fileName, language, ...rest) =>
    fileName === VIRTUAL_FILE ? ts.createSourceFile(fileName, source, language, true) : getSourceFile.call(host, fileName, language, ...rest);
  host.fileExists = (fileName) => fileName === VIRTUAL_FILE || fileExists.call(host, fileName);
  host.readFile = (fileName) => (fileName === VIRTUAL_FILE ? source : readFile.call(host, fileName));

  const program = ts.createProgram([VIRTUAL_FILE], COMPILER_OPTIONS, host, previousProgram);
  previousProgram = program;
  const sourceFile = program.getSourceFile(VIRTUAL_FILE)!;
  const diagnostics = [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)];
  return diagnostics.map((diagnostic) => {
    const message = shorten(ts.flattenDiagnosticMessageText(diagnostic.messageText, " "));
    const { index, path } = locate(sourceFile, diagnostic.start ?? 0);
    const object = index === undefined ? undefined : objects[index];
    return `${object ? describeObject(object) : "(imports)"}: ${path || "(object)"}: ${message}`;
  });
}

/** TypeScript prints the whole target type; the field's name is what a person needs. */
function shorten(message: string): string {
  const excess = /may only specify known properties, and '"?([^'"]+)"?' does not exist/.exec(message);
  if (excess) return `unknown field "${excess[1]}" (not in the schema)`;
  return message.length > 400 ? `${message.slice(0, 400)}…` : message;
}

/** Which objectN declaration a position is in, and the JSON path of the field there. */
function locate(sourceFile: ts.SourceFile, position: number): { index?: number; path: string } {
  let node: ts.Node = sourceFile;
  for (;;) {
    const child: ts.Node | undefined = node.forEachChild((candidate) =>
      candidate.getStart(sourceFile) <= position && position < candidate.getEnd() ? candidate : undefined,
    );
    if (!child) break;
    node = child;
  }
  const parts: string[] = [];
  for (let current: ts.Node | undefined = node; current; current = current.parent) {
    const parent: ts.Node | undefined = current.parent;
    if (ts.isVariableDeclaration(current)) {
      return { index: Number(current.name.getText(sourceFile).replace("object", "")), path: parts.join("").replace(/^\./, "") };
    }
    if (ts.isPropertyAssignment(current)) parts.unshift(`.${current.name.getText(sourceFile).replace(/^"|"$/g, "")}`);
    else if (parent && ts.isArrayLiteralExpression(parent)) parts.unshift(`[${parent.elements.indexOf(current as ts.Expression)}]`);
  }
  return { path: parts.join("") };
}
