// Identity of a video from its name: the part before the separator ('#', as in FOMM's VoxCeleb
// names "id10001#7w0IBEWc9Qw#000993#001143"); a name without it is its own identity.

export function identityOf(name: string, separator = "#"): string {
  const cut = name.indexOf(separator);
  return cut < 0 ? name : name.slice(0, cut);
}

/** Video indices grouped by identity, identities in sorted order. */
export function groupByIdentity(names: readonly string[], separator = "#"): number[][] {
  const groups = new Map<string, number[]>();
  names.forEach((name, i) => {
    const id = identityOf(name, separator);
    const list = groups.get(id) ?? [];
    list.push(i);
    groups.set(id, list);
  });
  return [...groups.keys()].sort().map((k) => groups.get(k)!);
}
