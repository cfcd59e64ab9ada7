/** Reads a Dockerfile into stages of instructions, enough to check it and replay its steps. */

export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY, … */
  keyword: string;
  /** Everything after the keyword, continuation lines joined. */
  args: string;
}

export interface Stage {
  name?: string;
  from: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs before the first FROM, with their defaults. */
  globalArgs: Record<string, string>;
  stages: Stage[];
}

export function parseDockerfile(text: string): Dockerfile {
  const logical = text
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  const dockerfile: Dockerfile = { globalArgs: {}, stages: [] };
  for (const line of logical) {
    const [, keyword = "", args = ""] = /^(\w+)\s*(.*)$/.exec(line) ?? [];
    const instruction = { keyword: keyword.toUpperCase(), args: args.replace(/\s+/g, " ").trim() };
    if (instruction.keyword === "FROM") {
      const [, from = "", name] = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args) ?? [];
      dockerfile.stages.push({ from, name, instructions: [] });
    } else if (dockerfile.stages.length === 0) {
      if (instruction.keyword === "ARG") {
        const [name = "", value = ""] = instruction.args.split("=", 2);
        dockerfile.globalArgs[name] = value;
      }
    } else {
      dockerfile.stages.at(-1)!.instructions.push(instruction);
    }
  }
  return dockerfile;
}

/** The shell command of a RUN instruction, without its --mount/--network options. */
export const runCommand = (instruction: Instruction) => instruction.args.replace(/^(--\S+\s+)+/, "");

/** An exec-form (JSON array) CMD or HEALTHCHECK CMD. */
export function execForm(args: string): string[] {
  const json = args.replace(/^(--\S+\s+)*(CMD\s+)?/, "");
  const parsed: unknown = JSON.parse(json);
  if (!Array.isArray(parsed) || !parsed.every((part) => typeof part === "string")) throw new Error(`not an exec-form command: ${args}`);
  return parsed;
}
