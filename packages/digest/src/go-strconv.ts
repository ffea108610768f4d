/** Go's strconv.ParseBool (BuildKit parses exporter and cache attributes with it); undefined for anything else. */
export function parseGoBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
  return undefined;
}
