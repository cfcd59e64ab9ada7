/**
 * The program: the stack's configuration, checked, as one RealtimeSvg component. index.ts (what
 * `pulumi up` runs) calls main(); test/deploy/support/pulumi.ts calls it under Pulumi's mocks, once
 * per configuration, which a module's top-level code could not do.
 */
import { readConfig } from "./config";
import { RealtimeSvg } from "./realtime-svg";

export function main(): RealtimeSvg {
  return new RealtimeSvg("realtime-svg", readConfig());
}

export { CONFIG_SCHEMA, configKeys } from "./config";
export { ALLOWED_SETTINGS, DEFAULTS, SERVER_DEFAULTS, SETTINGS_WITH_OWN_KNOB, RealtimeSvg, RealtimeSvgConfigError, problemsOf } from "./realtime-svg";
export type { RealtimeSvgArgs } from "./realtime-svg";
