/** One function per backend endpoint the client uses, named after what it does. */
import { api, apiRequest } from "./client";
import type {
  DeadLetter,
  Playback,
  QueueStats,
  ReceivedPart,
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

async function listPage(path: string, page: number, pageSize: number, auth: boolean): Promise<VideoPage> {
  const res = await apiRequest<Video[] | { items?: Video[] }>(path, {
    query: { page, page_size: pageSize },
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

export const listMyVideos = (page = 1, pageSize = 24) => listPage("/api/gallery/videos", page, pageSize, true);
export const listPublicVideos = (page = 1, pageSize = 24) => listPage("/api/gallery/public", page, pageSize, true);

export const getVideo = (id: string) => api<Video>(`/api/gallery/videos/${enc(id)}`);

export interface VideoEdits {
  title?: string;
  description?: string;
  visibility?: Visibility;
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

export const getPlayback = (id: string) => api<Playback>(`/api/streaming/videos/${enc(id)}`);

export const getQueueStats = () => api<QueueStats>("/api/admin/queue");
export const listDeadLetters = async (): Promise<DeadLetter[]> => {
  const data = await api<DeadLetter[] | { items?: DeadLetter[] }>("/api/admin/dead-letters");
  return Array.isArray(data) ? data : (data?.items ?? []);
};
export const redriveDeadLetters = () => api<unknown>("/api/admin/dead-letters/redrive", { method: "POST", body: {} });
export const adminRetryVideo = (id: string) =>
  api<Video>(`/api/admin/videos/${enc(id)}/retry`, { method: "POST", body: {} });
