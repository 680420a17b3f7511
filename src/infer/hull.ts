// The area of the convex hull of a few 2-D points (keypoints): Andrew's monotone chain, then the
// shoelace formula. K is about 10 and this runs once per job, so plain JS numbers are right here.

/** Points as a flat (K, 2) array: x0, y0, x1, y1, ... */
export type Points = ArrayLike<number>;

/** Twice the signed area of the triangle o, a, b: > 0 when o -> a -> b turns left (counter-clockwise). */
function cross(o: readonly [number, number], a: readonly [number, number], b: readonly [number, number]): number {
  return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
}

/** The vertices of the convex hull of (K, 2) `points`, counter-clockwise, without collinear points. */
export function convexHull(points: Points): Array<[number, number]> {
  if (points.length % 2 !== 0) throw new RangeError(`convexHull: expected (K, 2) points as x, y pairs, got ${points.length} numbers`);
  const sorted: Array<[number, number]> = [];
  for (let i = 0; i < points.length; i += 2) sorted.push([points[i], points[i + 1]]);
  sorted.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (sorted.length < 3) return sorted;
  const chain = (order: Array<[number, number]>) => {
    const out: Array<[number, number]> = [];
    for (const p of order) {
      while (out.length >= 2 && cross(out[out.length - 2], out[out.length - 1], p) <= 0) out.pop();
      out.push(p);
    }
    out.pop(); // the last point starts the other chain
    return out;
  };
  return [...chain(sorted), ...chain([...sorted].reverse())];
}

/** The area of the convex hull of (K, 2) `points` (0 for fewer than 3 points or collinear ones). */
export function hullArea(points: Points): number {
  const hull = convexHull(points);
  let twice = 0;
  for (let i = 0; i < hull.length; i++) {
    const [x0, y0] = hull[i];
    const [x1, y1] = hull[(i + 1) % hull.length];
    twice += x0 * y1 - x1 * y0;
  }
  return Math.abs(twice) / 2;
}
