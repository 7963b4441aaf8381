'use client';

import { useEffect, useRef, useState } from 'react';

/**
 * The rendered width of a chart's box, so the SVG's viewBox matches real pixels and text stays
 * at its font size whatever the container (a 300px dock card or a 700px page panel).
 * `fallback` is used for the server render and until the first measurement.
 */
export function useChartWidth(fallback: number) {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(fallback);
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver((entries) => {
      const w = Math.round(entries[0]?.contentRect.width ?? 0);
      if (w > 40) setWidth(w);
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, width] as const;
}
