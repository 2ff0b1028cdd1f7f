/**
 * CSV as pandas writes a DataFrame with `df.to_csv(index=False)`, so that `pd.read_csv` gives the
 * same frame: floats in Python's repr (`4.0`, `1e-05`), NaN and missing cells empty, ±inf as
 * `inf`/`-inf`, booleans `True`/`False`, timestamps `2024-01-02 03:04:05.678000+00:00`, and fields
 * quoted only when they hold a comma, quote or line break.
 */
export function toCsv(
  columns: string[],
  rows: Record<string, unknown>[],
  integerColumns: ReadonlySet<string> = new Set(),
  options: { excelSafe?: boolean } = {},
): string {
  const text = options.excelSafe ? (value: string) => quote(defuse(value)) : quote;
  const lines = [columns.map(text).join(",")];
  for (const row of rows) {
    lines.push(
      columns
        .map((c) => {
          const value = row[c];
          const written = cell(value, integerColumns.has(c));
          return typeof value === "string" ? text(written) : quote(written);
        })
        .join(","),
    );
  }
  return `${lines.join("\n")}\n`;
}

/**
 * `--excel-safe`: a spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (or a tab or CR
 * before one) as a formula, so a param such as `=HYPERLINK(…)` logged by anyone could act when the
 * CSV is opened. Such text cells (never numbers) get a leading `'`, as MLflow's UI download and
 * OWASP's advice do; the cell then reads as text, and pandas reads it with the `'`.
 */
function defuse(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

function cell(value: unknown, integer: boolean): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number")
    return integer && Number.isInteger(value) ? String(value) : pythonFloat(value);
  if (typeof value === "boolean") return value ? "True" : "False";
  if (value instanceof Date) return pandasTimestamp(value);
  return String(value);
}

function quote(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Python's `repr(float)`: shortest round-trip digits; exponent form below 1e-4 and from 1e16. */
export function pythonFloat(x: number): string {
  if (Number.isNaN(x)) return "";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mantissa, exp] = x.toExponential().split("e") as [string, string];
  const exponent = Number(exp);
  if (exponent < -4 || exponent >= 16) {
    const sign = exponent < 0 ? "-" : "+";
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  const text = x.toFixed(Math.max(0, (mantissa.split(".")[1]?.length ?? 0) - exponent));
  return text.includes(".") ? text : `${text}.0`;
}

/** How pandas prints a UTC `Timestamp` with microseconds. */
export function pandasTimestamp(date: Date): string {
  const iso = date.toISOString(); // 2024-01-02T03:04:05.678Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000+00:00`;
}
