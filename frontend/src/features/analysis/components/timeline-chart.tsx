// P(fake) over time: one line per face track, the sound-track windows as bars on the
// same time axis. SVG (visx), so every point is a focusable button for keyboard and
// screen-reader users, and the chart renders in tests without a canvas.
import { AxisBottom, AxisLeft } from '@visx/axis';
import { Group } from '@visx/group';
import { scaleLinear } from '@visx/scale';
import { LinePath } from '@visx/shape';
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { AudioWindow, VideoTimelinePoint } from '@/lib/api/types';
import { percent } from '@/lib/format';

const TRACK_COLOURS = ['#2563eb', '#db2777', '#0d9488', '#9333ea', '#ea580c'];
const AUDIO_COLOUR = '#7c3aed';
const MARGIN = { top: 12, right: 12, bottom: 40, left: 60 };

export const trackColour = (trackId: number) => TRACK_COLOURS[Math.abs(trackId) % TRACK_COLOURS.length];

function useWidth<T extends HTMLElement>(fallback: number) {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState(fallback);
  useEffect(() => {
    const element = ref.current;
    if (!element || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(([entry]) => setWidth(Math.max(240, Math.floor(entry.contentRect.width))));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return [ref, width] as const;
}

function onActivate(action: () => void) {
  return (event: KeyboardEvent) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      action();
    }
  };
}

export function TimelineChart({
  duration,
  points,
  windows,
  threshold,
  currentTime,
  selected,
  onSelectPoint,
  onSelectWindow,
  height = 240,
}: {
  duration: number;
  points: VideoTimelinePoint[];
  windows: AudioWindow[];
  threshold: number;
  currentTime: number;
  selected: VideoTimelinePoint | null;
  onSelectPoint: (point: VideoTimelinePoint) => void;
  onSelectWindow: (window: AudioWindow) => void;
  height?: number;
}) {
  const [ref, width] = useWidth<HTMLDivElement>(640);
  const innerWidth = width - MARGIN.left - MARGIN.right;
  const innerHeight = height - MARGIN.top - MARGIN.bottom;
  const end = Math.max(duration, ...points.map((p) => p.t_s), ...windows.map((w) => w.end_s), 0.1);
  const x = scaleLinear<number>({ domain: [0, end], range: [0, innerWidth] });
  const y = scaleLinear<number>({ domain: [0, 1], range: [innerHeight, 0] });
  const tracks = [...new Set(points.map((p) => p.track_id))].sort((a, b) => a - b);
  const scored = windows.filter((w) => w.fake_probability != null);

  return (
    <div ref={ref} className="w-full min-w-0">
      <svg
        width={width}
        height={height}
        role="group"
        aria-label="Fake probability over time for each face track and the sound track"
        data-testid="timeline-chart"
        className="text-slate-800 dark:text-slate-200"
      >
        <Group left={MARGIN.left} top={MARGIN.top}>
          {/* Axes first: points drawn later stay on top and clickable, even at 0%. */}
          <AxisLeft
            scale={y}
            numTicks={5}
            tickFormat={(v) => `${Math.round(Number(v) * 100)}%`}
            stroke="currentColor"
            tickStroke="currentColor"
            tickLabelProps={{ fill: 'currentColor', fontSize: 11, textAnchor: 'end', dx: -4, dy: 3 }}
            label="Fake probability"
            labelOffset={36}
            labelProps={{ fill: 'currentColor', fontSize: 11, textAnchor: 'middle' }}
          />
          <AxisBottom
            top={innerHeight}
            scale={x}
            numTicks={Math.max(2, Math.floor(innerWidth / 70))}
            tickFormat={(v) => `${Number(v).toFixed(1)} s`}
            stroke="currentColor"
            tickStroke="currentColor"
            tickLabelProps={{ fill: 'currentColor', fontSize: 11, textAnchor: 'middle' }}
          />
          <line
            x1={0}
            x2={innerWidth}
            y1={y(threshold)}
            y2={y(threshold)}
            stroke="currentColor"
            strokeDasharray="4 4"
            strokeOpacity={0.6}
          />
          {scored.map((w, i) => (
            <rect
              key={`w-${i}`}
              data-testid="timeline-audio-window"
              role="button"
              tabIndex={0}
              aria-label={`Sound ${w.start_s.toFixed(1)} to ${w.end_s.toFixed(1)} s: ${percent(w.fake_probability)} fake. Play from here.`}
              x={x(w.start_s)}
              width={Math.max(2, x(w.end_s) - x(w.start_s) - 1)}
              y={y(w.fake_probability ?? 0) - 4}
              height={8}
              rx={3}
              fill={AUDIO_COLOUR}
              fillOpacity={0.75}
              className="cursor-pointer"
              onClick={() => onSelectWindow(w)}
              onKeyDown={onActivate(() => onSelectWindow(w))}
            />
          ))}
          {tracks.map((trackId) => {
            const data = points.filter((p) => p.track_id === trackId).sort((a, b) => a.t_s - b.t_s);
            return (
              <g key={trackId}>
                <LinePath
                  data={data}
                  x={(p) => x(p.t_s)}
                  y={(p) => y(p.fake_probability)}
                  stroke={trackColour(trackId)}
                  strokeWidth={2}
                />
                {data.map((p) => {
                  const isSelected = selected === p;
                  return (
                    <circle
                      key={`${p.track_id}-${p.t_s}`}
                      data-testid="timeline-point"
                      data-t={p.t_s}
                      role="button"
                      tabIndex={0}
                      aria-pressed={isSelected}
                      aria-label={`Face track ${p.track_id} at ${p.t_s.toFixed(1)} s: ${percent(p.fake_probability)} fake. Show this moment.`}
                      cx={x(p.t_s)}
                      cy={y(p.fake_probability)}
                      r={isSelected ? 7 : 5}
                      fill={trackColour(trackId)}
                      stroke={isSelected ? 'currentColor' : 'white'}
                      strokeWidth={2}
                      className="cursor-pointer"
                      onClick={() => onSelectPoint(p)}
                      onKeyDown={onActivate(() => onSelectPoint(p))}
                    />
                  );
                })}
              </g>
            );
          })}
          <line
            x1={x(Math.min(currentTime, end))}
            x2={x(Math.min(currentTime, end))}
            y1={0}
            y2={innerHeight}
            stroke="currentColor"
            strokeWidth={1}
            aria-hidden="true"
            pointerEvents="none"
          />
        </Group>
      </svg>
      <ul className="mt-2 flex flex-wrap gap-x-4 gap-y-1 text-sm" aria-label="Legend">
        {tracks.map((trackId) => (
          <li key={trackId} className="flex items-center gap-1">
            <span aria-hidden="true" className="inline-block h-3 w-3 rounded-full" style={{ background: trackColour(trackId) }} />
            Face track {trackId}
          </li>
        ))}
        {scored.length > 0 && (
          <li className="flex items-center gap-1">
            <span aria-hidden="true" className="inline-block h-2 w-4 rounded" style={{ background: AUDIO_COLOUR }} />
            Sound windows
          </li>
        )}
        <li className="flex items-center gap-1">
          <span aria-hidden="true" className="inline-block w-4 border-t-2 border-dashed border-current" />
          Threshold {percent(threshold)}
        </li>
      </ul>
    </div>
  );
}
