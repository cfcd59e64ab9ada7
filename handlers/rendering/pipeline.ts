import type { Template } from "liquidjs";
import type { Renderers } from "../ports/renderers.js";
import type { FrameShape } from "../sessions/shape.js";
import type { Limits } from "../options.js";
import type { Renderer } from "./liquid.js";

/**
 * The render step, called once per write: Liquid (arguments escaped; bounded by its own render
 * and memory limits, in this isolate), then for svg sessions the check that the frame is an SVG
 * document (svg-check.ts, or what is left of it for a substitution, substitution.ts), for html sessions satori through the renderers port — in the Node host
 * a render process with a hard deadline and a memory ceiling.
 */
export async function renderFrame(
  engines: { templates: Renderer; renderers: Renderers; limits: Pick<Limits, "maxSvgDepth"> },
  shape: FrameShape,
  parsed: Template[],
  args: Record<string, unknown>,
): Promise<string> {
  return renderFrameNow(engines, shape, parsed, args);
}

/**
 * As renderFrame, without a promise where none is needed: an svg frame is rendered and checked
 * synchronously (the string); an html one goes to the renderers (a promise). Every write renders,
 * and an svg write has nothing to wait for.
 */
export function renderFrameNow(
  engines: { templates: Renderer; renderers: Renderers; limits: Pick<Limits, "maxSvgDepth"> },
  shape: FrameShape,
  parsed: Template[],
  args: Record<string, unknown>,
): string | Promise<string> {
  const output = engines.templates.renderNow(parsed, args);
  if (shape.kind === "svg") {
    engines.templates.checkSvg(parsed, output, engines.limits.maxSvgDepth);
    return output;
  }
  return engines.renderers.html(output, shape.width!, shape.height!);
}
