import type { AppContext } from "../context.js";
import { renderFrame } from "../rendering/pipeline.js";
import type { PreviewInput } from "./request-schema.js";
import { nextShape, type FrameShape } from "./shape.js";

/**
 * A new session's shape, arguments and first frame, checked and rendered: the one path both
 * create and preview take, so a preview is the frame a session made from the same body would
 * store, refused with the same code when a create would be.
 */
export async function firstFrame(
  ctx: AppContext,
  body: PreviewInput,
): Promise<{ shape: FrameShape; args: Record<string, unknown>; frame: string }> {
  const args = body.args ?? {};
  const shape = nextShape(undefined, body);
  ctx.templates.checkArgs(args);
  const frame = await renderFrame(ctx, shape, ctx.templates.parse(body.template), args);
  return { shape, args, frame };
}
