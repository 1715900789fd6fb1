/** Shapes of the backend's JSON, as the API contract in DESIGN.md names them. */

export type VideoStatus = "awaiting_upload" | "queued" | "processing" | "ready" | "failed";
/** `password`: anyone with the link who gives the password its owner set (never sent back by the server). */
export type Visibility = "public" | "unlisted" | "private" | "password";

export interface Video {
  id: string;
  title: string;
  description?: string | null;
  visibility: Visibility;
  status: VideoStatus;
  progress?: number | null;
  stage?: string | null;
  error?: string | null;
  duration?: number | null;
  width?: number | null;
  height?: number | null;
  created_at?: string;
  updated_at?: string;
  poster_url?: string | null;
  queue_position?: number | null;
  estimated_start_seconds?: number | null;
  owner?: string | null;
  /** Whether the signed-in caller owns it (the gallery never names the owner). */
  is_owner?: boolean;
  /** False when the file itself was rejected (not a video, too long...): a retry cannot help. */
  retryable?: boolean;
  /** The upload asked for a generated caption track. */
  auto_captions?: boolean;
  /** A search (`?q=`) result: where the words were found (`start` null for the title or description). */
  match?: SearchMatch | null;
  /** Sites allowed to frame its embed page; null: any site, []: none. */
  embed_origins?: string[] | null;
  /** A password video this viewer has not unlocked: the server sent its title alone. */
  locked?: boolean;
}

export interface SearchMatch {
  /** Seconds into the video of the matching cue; null when the title or description matched. */
  start: number | null;
  text: string;
  language?: string | null;
}

export type CaptionStatus = "pending" | "processing" | "ready" | "failed";
export type CaptionKind = "subtitles" | "captions";

/** A caption track of a video (GET /api/gallery/videos/<id>/captions). */
export interface CaptionTrack {
  id: string;
  /** BCP 47 tag. */
  language: string;
  label: string;
  kind: CaptionKind;
  /** Transcribed from the audio, not uploaded. */
  generated: boolean;
  status: CaptionStatus;
  error?: string | null;
  cue_count?: number | null;
  /** Signed WebVTT download, while the track is ready. */
  url?: string | null;
  created_at?: string;
  updated_at?: string;
}

export interface Rendition {
  name: string;
  width: number;
  height: number;
  bandwidth: number;
}

export interface Playback {
  id: string;
  status: VideoStatus;
  duration?: number | null;
  poster_url?: string | null;
  thumbnails_url?: string | null;
  master_url?: string | null;
  renditions: Rendition[];
  /** Media requests must carry cookies: the CDN grants access with signed cookies. */
  media_credentials?: boolean;
  title?: string | null;
  description?: string | null;
  progress?: number | null;
  stage?: string | null;
  error?: string | null;
  width?: number | null;
  height?: number | null;
}

/** What an upload may be (GET /api/gallery/upload-rules): the server refuses the rest. */
export interface UploadRules {
  allowed_extensions: string[];
  allowed_content_types: string[];
  title_max_length: number;
  description_max_length: number;
  upload_max_size: number;
  /** Languages the server can transcribe for generated captions (absent: it does not say). */
  caption_languages?: string[] | null;
}

export interface Pagination {
  total: number;
  total_pages: number;
  page: number;
  page_size?: number;
  first_page?: number;
  last_page?: number;
  previous_page?: number;
  next_page?: number;
}

export interface TokenResponse {
  access_token: string;
  id_token?: string;
  refresh_token?: string;
  token_type?: string;
  expires_in: number;
}

export interface Me {
  sub?: string;
  email?: string;
  groups?: string[];
  "cognito:groups"?: string[];
  mfa_enabled?: boolean;
  /** Local issuer: a link mailed to `email` was followed. */
  email_verified?: boolean;
}

export type AuthConfig =
  | {
      flow: "local";
      mfa?: boolean;
      /** False when the operator closed sign-up (accounts are made from the CLI). */
      signup?: boolean;
      password_min_length?: number;
      /** Reset links can be mailed from the address the page was loaded from. */
      password_reset?: boolean;
      /** `required`: no uploads until the address is verified. */
      email_verification?: "required" | "optional" | "off";
      /** What deleting an account does with its videos. */
      account_deletion?: "erase" | "handover";
    }
  | {
      flow: "cognito";
      authorize_url: string;
      token_url: string;
      client_id: string;
      redirect_uri: string;
      logout_url?: string;
      scopes?: string[] | string;
    };

export interface SinglePutPlan {
  method: "PUT";
  url: string;
  headers?: Record<string, string>;
}

export interface MultipartPlan {
  multipart: {
    upload_id: string;
    part_size: number;
    parts: { number: number; url: string }[];
  };
}

export interface UploadCreated {
  video: Video;
  upload: SinglePutPlan | MultipartPlan;
}

export interface ReceivedPart {
  number: number;
  etag: string;
  size: number;
}

export interface QueueStats {
  depth: number;
  in_flight: number;
  dead_letters: number;
  workers?: number | null;
}

export interface DeadLetter {
  id: string;
  video_id: string;
  receive_count: number;
  error?: string | null;
  [key: string]: unknown;
}

/** What a personal API key may do; each holds the ones before it (`manage` holds `upload` and `read`). */
export type ApiKeyScope = "read" | "upload" | "manage";

/** A personal API key as lists show it (GET /api/auth/keys): never the key itself. */
export interface ApiKey {
  id: string;
  name: string;
  /** The key's first characters, `vf_` included, to tell it apart. */
  prefix: string;
  /** Implied scopes included. */
  scopes: ApiKeyScope[];
  created_at: string;
  expires_at?: string | null;
  /** To the minute; null until first used. */
  last_used_at?: string | null;
}

/** A key just created: the only answer that holds `key`. */
export interface CreatedApiKey extends ApiKey {
  key: string;
}

/** A key as administrators list it (GET /api/auth/admin/keys), with whose it is. */
export interface OwnedApiKey extends ApiKey {
  user_id: string;
  owner_email?: string | null;
}

/** A password video unlocked (POST /api/streaming/videos/<id>/unlock): pass `unlock_token` to the playback info. */
export interface Unlocked {
  unlock_token: string;
  /** Seconds it works, unless the owner sets a new password first. */
  expires_in: number;
}

/** A short-lived link to a video's original file, for its owner (GET /api/gallery/videos/<id>/download). */
export interface OriginalDownload {
  url: string;
  /** The name the browser saves it under. */
  filename: string;
  size: number;
  expires_in: number;
}

/** Events a webhook endpoint may subscribe to (`webhook.test` is sent on request, whatever it subscribes to). */
export type WebhookEventType = "video.ready" | "video.failed" | "video.deleted";

/** An owner's webhook endpoint (GET /api/webhooks): never its secret. */
export interface WebhookEndpoint {
  id: string;
  url: string;
  description: string;
  events: WebhookEventType[];
  enabled: boolean;
  /** After a roll: until when deliveries also carry the old secret's signature; null when one secret signs. */
  previous_secret_expires_at?: string | null;
  created_at: string;
  updated_at: string;
}

/** An endpoint just registered: the only answer that holds its signing secret (`whsec_…`). */
export interface CreatedWebhookEndpoint extends WebhookEndpoint {
  secret: string;
}

/** An endpoint whose secret was just rolled: the only answer that holds the new secret. */
export interface RolledWebhookEndpoint extends WebhookEndpoint {
  secret: string;
}

/** One POST of a delivery: the endpoint's status and first bytes of its answer, or why there was none. */
export interface WebhookAttempt {
  started_at: string;
  duration_ms: number;
  status_code?: number | null;
  response?: string | null;
  error?: string | null;
}

export type WebhookDeliveryStatus = "pending" | "delivered" | "failed";

/** One event on its way to one endpoint (GET /api/webhooks/<id>/deliveries), with its attempts, oldest first. */
export interface WebhookDelivery {
  id: string;
  endpoint_id: string;
  /** The same on a replay: receivers de-duplicate by it. */
  event_id: string;
  event_type: WebhookEventType | "webhook.test";
  video_id?: string | null;
  status: WebhookDeliveryStatus;
  attempt_count: number;
  next_attempt_at?: string | null;
  last_status_code?: number | null;
  last_error?: string | null;
  replay_of?: string | null;
  created_at: string;
  delivered_at?: string | null;
  attempts: WebhookAttempt[];
}
