import type { Template } from "liquidjs";
import type { FrameShape } from "../sessions/shape.js";
import type { HtmlRenderer } from "./html.js";
import type { Renderer } from "./liquid.js";

/** The render step, called once per write: Liquid (arguments escaped), then satori for html. */
export async function renderFrame(
  engines: { templates: Renderer; html: HtmlRenderer },
  shape: FrameShape,
  parsed: Template[],
  args: Record<string, unknown>,
): Promise<string> {
  const output = await engines.templates.render(parsed, args);
  if (shape.kind === "svg") return output;
  return engines.html.toSvg(output, shape.width!, shape.height!);
}
