/**
 * A form generated from the current arguments: a text field per string, a colour picker beside
 * the text of a "#rgb"/"#rrggbb" string, a number field per number, a checkbox per boolean, and a
 * comma-separated field for an array of numbers. Anything else is edited as JSON (the studio) or
 * left as it is (the session page). Every change gives the caller the whole new arguments object.
 */
import { t } from "./common.js";

type Args = Record<string, unknown>;

const COLOUR = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;
const long = (hex: string) => (hex.length === 4 ? `#${hex[1]}${hex[1]}${hex[2]}${hex[2]}${hex[3]}${hex[3]}` : hex).toLowerCase();
const isNumberArray = (value: unknown): value is number[] => Array.isArray(value) && value.every((v) => typeof v === "number");

function Field({ name, value, onChange, id }: { name: string; value: unknown; onChange: (value: unknown) => void; id: string }) {
  if (typeof value === "boolean") {
    return (
      <div class="field check">
        <input id={id} type="checkbox" checked={value} onChange={(e) => onChange((e.currentTarget as HTMLInputElement).checked)} />
        <label for={id}>{name}</label>
      </div>
    );
  }
  if (typeof value === "number") {
    return (
      <div class="field">
        <label for={id}>{name}</label>
        <input
          id={id}
          type="number"
          step="any"
          value={value}
          onInput={(e) => {
            const number = (e.currentTarget as HTMLInputElement).valueAsNumber;
            if (Number.isFinite(number)) onChange(number);
          }}
        />
      </div>
    );
  }
  if (typeof value === "string") {
    const colour = COLOUR.test(value);
    return (
      <div class="field">
        <label for={id}>{name}</label>
        <span class="row">
          {colour && (
            <input
              type="color"
              aria-label={`${name} (colour)`}
              value={long(value)}
              onInput={(e) => onChange((e.currentTarget as HTMLInputElement).value)}
            />
          )}
          <input id={id} type="text" value={value} onInput={(e) => onChange((e.currentTarget as HTMLInputElement).value)} />
        </span>
      </div>
    );
  }
  if (isNumberArray(value)) {
    return (
      <div class="field">
        <label for={id}>{name}</label>
        <input
          id={id}
          type="text"
          inputMode="decimal"
          value={value.join(", ")}
          onChange={(e) => {
            const numbers = (e.currentTarget as HTMLInputElement).value
              .split(/[,\s]+/)
              .filter(Boolean)
              .map(Number);
            if (numbers.every(Number.isFinite)) onChange(numbers);
          }}
        />
      </div>
    );
  }
  return (
    <div class="field">
      <span class="label">{name}</span>
      <code class="json-value">{JSON.stringify(value)}</code>
    </div>
  );
}

export function ArgsForm({ args, onChange, idPrefix, empty = "no_arguments" }: { args: Args; onChange: (args: Args) => void; idPrefix: string; empty?: "no_arguments" | "no_arguments_here" }) {
  const names = Object.keys(args);
  if (names.length === 0) return <p class="hint">{t(empty)}</p>;
  return (
    <div class="args-form">
      {names.map((name, index) => (
        <Field key={name} id={`${idPrefix}-${index}`} name={name} value={args[name]} onChange={(value) => onChange({ ...args, [name]: value })} />
      ))}
    </div>
  );
}
