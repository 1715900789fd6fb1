/** One function per backend endpoint the client uses, named after what it does. */
import { api, apiRequest } from "./client";
import type {
  CaptionKind,
  CaptionTrack,
  DeadLetter,
  OriginalDownload,
  Playback,
  QueueStats,
  ReceivedPart,
  Unlocked,
  UploadCreated,
  UploadRules,
  Video,
  Visibility,
} from "./types";

const enc = encodeURIComponent;

export interface VideoPage {
  videos: Video[];
  total: number;
  totalPages: number;
  page: number;
}

async function listPage(path: string, page: number, pageSize: number, auth: boolean, q?: string): Promise<VideoPage> {
  const res = await apiRequest<Video[] | { items?: Video[] }>(path, {
    // With `q`, the server ranks matches of titles, descriptions and caption text.
    query: { page, page_size: pageSize, q: q?.trim() || undefined },
    auth,
  });
  const videos = Array.isArray(res.data) ? res.data : (res.data?.items ?? []);
  const p = res.pagination;
  return {
    videos,
    total: p?.total ?? videos.length,
    totalPages: Math.max(1, p?.total_pages ?? 1),
    page: p?.page ?? page,
  };
}

export const PAGE_SIZE = 24;
export const listMyVideos = (page = 1, pageSize = PAGE_SIZE, q?: string) =>
  listPage("/api/gallery/videos", page, pageSize, true, q);
export const listPublicVideos = (page = 1, pageSize = PAGE_SIZE, q?: string) =>
  listPage("/api/gallery/public", page, pageSize, true, q);

export const getVideo = (id: string) => api<Video>(`/api/gallery/videos/${enc(id)}`);

export interface VideoEdits {
  title?: string;
  description?: string;
  visibility?: Visibility;
  /** Sites allowed to frame the video's embed page (`https://host[:port]` each); null: any site, []: none. */
  embed_origins?: string[] | null;
  /** A new password, with visibility "password" (set now or already); choosing another visibility removes it. */
  password?: string;
}
export const updateVideo = (id: string, edits: VideoEdits) =>
  api<Video>(`/api/gallery/videos/${enc(id)}`, { method: "PATCH", body: edits });

export const deleteVideo = (id: string) => api<null>(`/api/gallery/videos/${enc(id)}`, { method: "DELETE" });

export const retryVideo = (id: string) =>
  api<Video>(`/api/gallery/videos/${enc(id)}/retry`, { method: "POST", body: {} });

export interface NewUpload {
  title: string;
  filename: string;
  size: number;
  content_type: string;
  description?: string;
  visibility?: Visibility;
  /** Needed with visibility "password". */
  password?: string;
  /** Transcribe the audio into a generated caption track, in `caption_language` (BCP 47) when given. */
  auto_captions?: boolean;
  caption_language?: string;
}
export const RULES_PATH = "/api/gallery/upload-rules";
export const getUploadRules = () => api<UploadRules>(RULES_PATH, { auth: false });

export const createUpload = (body: NewUpload) => api<UploadCreated>("/api/gallery/uploads", { method: "POST", body });

/** Parts the storage already holds, with fresh instructions for the rest (none once confirmed). */
export interface UploadStatus {
  parts: ReceivedPart[];
  upload?: UploadCreated["upload"] | null;
  video?: Video;
  received_bytes?: number | null;
}
export const getUploadStatus = (videoId: string) => api<UploadStatus>(`/api/gallery/uploads/${enc(videoId)}`);

export const confirmUpload = (videoId: string, parts?: { number: number; etag: string }[]) =>
  api<Video>(`/api/gallery/videos/${enc(videoId)}/confirm`, { method: "POST", body: parts ? { parts } : {} });

/** With `unlock`, a password video's unlock token (its owner and admins need none). */
export const getPlayback = (id: string, unlock?: string) =>
  api<Playback>(`/api/streaming/videos/${enc(id)}`, unlock ? { query: { unlock } } : {});

export const unlockVideo = (id: string, password: string) =>
  api<Unlocked>(`/api/streaming/videos/${enc(id)}/unlock`, { method: "POST", body: { password }, auth: false });

export const getOriginalDownload = (id: string) => api<OriginalDownload>(`/api/gallery/videos/${enc(id)}/download`);

/** Replacing a video's file: an upload like a new video's, for the same video (its id, links, title, captions stay). */
const replacePath = (id: string) => `/api/gallery/videos/${enc(id)}/replace`;
export interface NewFile {
  filename: string;
  size: number;
  content_type: string;
}
export const startReplace = (id: string, file: NewFile) =>
  api<UploadCreated>(replacePath(id), { method: "POST", body: file });
export const getReplaceStatus = (id: string) => api<UploadStatus>(replacePath(id));
export const confirmReplace = (id: string, parts?: { number: number; etag: string }[]) =>
  api<Video>(`${replacePath(id)}/confirm`, { method: "POST", body: parts ? { parts } : {} });
export const cancelReplace = (id: string) => api<null>(replacePath(id), { method: "DELETE" });

export const getQueueStats = () => api<QueueStats>("/api/admin/queue");
export const listDeadLetters = async (): Promise<DeadLetter[]> => {
  const data = await api<DeadLetter[] | { items?: DeadLetter[] }>("/api/admin/dead-letters");
  return Array.isArray(data) ? data : (data?.items ?? []);
};
export const redriveDeadLetters = () => api<unknown>("/api/admin/dead-letters/redrive", { method: "POST", body: {} });
export const adminRetryVideo = (id: string) =>
  api<Video>(`/api/admin/videos/${enc(id)}/retry`, { method: "POST", body: {} });

const captionsPath = (videoId: string) => `/api/gallery/videos/${enc(videoId)}/captions`;

export const listCaptions = async (videoId: string): Promise<CaptionTrack[]> => {
  const data = await api<CaptionTrack[] | { items?: CaptionTrack[] }>(captionsPath(videoId));
  return Array.isArray(data) ? data : (data?.items ?? []);
};

export interface CaptionUpload {
  file: File;
  language: string;
  label?: string;
  kind?: CaptionKind;
}
/** Adds the track for `language`, or replaces it: a WebVTT or SRT file (the server converts SRT). */
export const putCaptions = (videoId: string, { file, language, label, kind }: CaptionUpload) => {
  const form = new FormData();
  form.append("file", file, file.name);
  if (label?.trim()) form.append("label", label.trim());
  if (kind) form.append("kind", kind);
  return api<CaptionTrack>(`${captionsPath(videoId)}/${enc(language)}`, { method: "PUT", body: form });
};

export const deleteCaptions = (videoId: string, captionId: string) =>
  api<null>(`${captionsPath(videoId)}/${enc(captionId)}`, { method: "DELETE" });

export const generateCaptions = (videoId: string, language?: string) =>
  api<CaptionTrack>(`${captionsPath(videoId)}/generate`, { method: "POST", body: language ? { language } : {} });
