// Stream ids ("<ms>-<seq>") compare as two integers, never as text.
export function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split("-").map(Number);
  const [bm = 0, bs = 0] = b.split("-").map(Number);
  return am !== bm ? am - bm : as - bs;
}

export function laterId(a: string | null, b: string): string {
  return a === null || compareIds(b, a) > 0 ? b : a;
}
