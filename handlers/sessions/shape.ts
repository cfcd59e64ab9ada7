import { AppError } from "../http/errors.js";
import type { SessionRecord } from "./record.js";

/** What kind of image a session is, and its size when the template alone does not say. */
export interface FrameShape {
  kind: "svg" | "html";
  width?: number;
  height?: number;
}

type ShapeChange = { kind?: "svg" | "html"; width?: number; height?: number };

/** The shape after a change: html needs a size, svg takes none (its template sets it). */
export function nextShape(current: FrameShape | undefined, change: ShapeChange): FrameShape {
  const kind = change.kind ?? current?.kind ?? "svg";
  const keep = current?.kind === kind;
  const width = change.width ?? (keep ? current?.width : undefined);
  const height = change.height ?? (keep ? current?.height : undefined);
  if (kind === "svg") {
    if (change.width !== undefined || change.height !== undefined) {
      throw new AppError("invalid_size", "width and height are for html sessions; an svg template sets its own size");
    }
    return { kind };
  }
  if (width === undefined || height === undefined) {
    throw new AppError("missing_field", "html sessions need width and height");
  }
  return { kind, width, height };
}

export const shapeOf = (record: SessionRecord): FrameShape => ({
  kind: record.kind ?? "svg",
  width: record.width,
  height: record.height,
});
