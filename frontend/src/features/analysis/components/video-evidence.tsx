import { useState, type RefObject } from 'react';
import { Card } from '@/components/ui/card';
import type { AudioWindow, VideoEvidence as VideoEvidenceData, VideoTimelinePoint } from '@/lib/api/types';
import { useAuthedUrl } from '@/lib/authed-url';
import { percent } from '@/lib/format';
import { thumbnailSrc } from '../evidence-urls';
import { playSegment, seek } from './player';
import { TimelineChart, trackColour } from './timeline-chart';

export function nearestThumbnail(evidence: VideoEvidenceData, point: VideoTimelinePoint) {
  const sameTrack = evidence.thumbnails.filter((t) => t.track_id === point.track_id);
  const pool = sameTrack.length > 0 ? sameTrack : evidence.thumbnails;
  let best = pool[0] ?? null;
  for (const t of pool) if (best && Math.abs(t.t_s - point.t_s) < Math.abs(best.t_s - point.t_s)) best = t;
  return best;
}

export function VideoEvidence({
  evidence,
  mediaSrc,
  filename,
  windows,
  threshold,
  playerRef,
}: {
  evidence: VideoEvidenceData;
  mediaSrc: string;
  filename: string;
  windows: AudioWindow[];
  threshold: number;
  playerRef: RefObject<HTMLVideoElement>;
}) {
  const src = useAuthedUrl(mediaSrc);
  const [currentTime, setCurrentTime] = useState(0);
  const [selected, setSelected] = useState<VideoTimelinePoint | null>(null);
  const thumbnail = selected ? nearestThumbnail(evidence, selected) : null;
  const thumbUrl = useAuthedUrl(thumbnail ? thumbnailSrc(thumbnail) : null);

  return (
    <Card title="The video">
      <div className="flex flex-col gap-4">
        <video
          ref={playerRef}
          src={src ?? undefined}
          controls
          preload="metadata"
          data-testid="video-player"
          aria-label={`The uploaded video ${filename}`}
          onTimeUpdate={(event) => setCurrentTime(event.currentTarget.currentTime)}
          onSeeked={(event) => setCurrentTime(event.currentTarget.currentTime)}
          className="max-h-[50vh] w-full rounded bg-black"
        />
        <div>
          <h3 className="font-semibold">Fake probability over time</h3>
          <p className="mb-2 text-sm text-slate-700 dark:text-slate-300">
            Choose a point to jump the player there and see that face; choose a sound window to play it.
          </p>
          <TimelineChart
            duration={evidence.duration_s}
            points={evidence.timeline}
            windows={windows}
            threshold={threshold}
            currentTime={currentTime}
            selected={selected}
            onSelectPoint={(point) => {
              setSelected(point);
              seek(playerRef, point.t_s);
              setCurrentTime(point.t_s);
            }}
            onSelectWindow={(w) => playSegment(playerRef, w.start_s, w.end_s)}
          />
        </div>
        <div aria-live="polite" data-testid="selected-sample">
          {selected && (
            <div className="flex flex-wrap items-center gap-3 rounded-md border border-slate-200 p-3 dark:border-slate-700">
              {thumbUrl && (
                <img
                  src={thumbUrl}
                  alt={`Face of track ${selected.track_id} near ${selected.t_s.toFixed(1)} s`}
                  className="h-24 w-24 rounded object-cover"
                  data-testid="sample-thumbnail"
                />
              )}
              <p>
                Face track {selected.track_id} at {selected.t_s.toFixed(1)} s:{' '}
                <strong>{percent(selected.fake_probability)} fake</strong>
              </p>
            </div>
          )}
        </div>
        <div className="overflow-x-auto">
          <table className="w-full text-sm">
            <caption className="mb-1 text-left font-semibold">Face tracks</caption>
            <thead>
              <tr className="text-left">
                <th scope="col" className="py-1 pr-2">Track</th>
                <th scope="col" className="py-1 pr-2">Seen</th>
                <th scope="col" className="py-1 pr-2">Samples</th>
                <th scope="col" className="py-1">Fake probability</th>
              </tr>
            </thead>
            <tbody>
              {evidence.tracks.map((track) => (
                <tr key={track.track_id} className="border-t border-slate-200 dark:border-slate-700" data-testid="track-row">
                  <td className="py-1 pr-2">
                    <span aria-hidden="true" className="mr-1 inline-block h-3 w-3 rounded-full" style={{ background: trackColour(track.track_id) }} />
                    {track.track_id}
                  </td>
                  <td className="py-1 pr-2">
                    {track.first_s.toFixed(1)}–{track.last_s.toFixed(1)} s
                  </td>
                  <td className="py-1 pr-2">{track.samples}</td>
                  <td className="py-1">{percent(track.fake_probability)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {evidence.tracks.length === 0 && <p className="text-sm">No face was found in any sampled frame.</p>}
        </div>
        <p className="text-sm text-slate-700 dark:text-slate-300">
          {evidence.sampled_frames} frames sampled from {evidence.duration_s.toFixed(1)} s at {evidence.width}×
          {evidence.height}
          {evidence.frames_without_face.length > 0 && `; ${evidence.frames_without_face.length} without a face`}. How
          tracks are combined: {evidence.aggregation}
        </p>
      </div>
    </Card>
  );
}
