/**
 * oslo.config's URIOpt: a value with a scheme and a host (RFC 3986), at
 * most max_length characters when the option sets one.
 */
export function uriProblem(maxLength?: number): (value: string | null) => string | undefined {
  return (value) => {
    if (value === null) return undefined;
    let host: string;
    try {
      host = new URL(value).host;
    } catch {
      return `${JSON.stringify(value)} is not a URI with a scheme and a host`;
    }
    if (host === '') return `${JSON.stringify(value)} is not a URI with a scheme and a host`;
    if (maxLength !== undefined && value.length > maxLength) return `Value '${value}' exceeds maximum length ${String(maxLength)}`;
    return undefined;
  };
}
