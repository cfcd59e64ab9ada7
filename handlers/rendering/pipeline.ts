import type { Template } from "liquidjs";
import type { Renderers } from "../ports/renderers.js";
import type { FrameShape } from "../sessions/shape.js";
import type { Renderer } from "./liquid.js";

/**
 * The render step, called once per write: Liquid (arguments escaped; bounded by its own render
 * and memory limits, in this isolate), then satori for html through the renderers port — in the
 * Node host a render process with a hard deadline and a memory ceiling.
 */
export async function renderFrame(
  engines: { templates: Renderer; renderers: Renderers },
  shape: FrameShape,
  parsed: Template[],
  args: Record<string, unknown>,
): Promise<string> {
  const output = await engines.templates.render(parsed, args);
  if (shape.kind === "svg") return output;
  return engines.renderers.html(output, shape.width!, shape.height!);
}
