/** The server's upload rules in the browser: refused files get one sentence, titles fit the limit. */
import { describe, expect, it } from "vitest";
import type { UploadRules } from "../src/api/types";
import { ApiError } from "../src/api/client";
import { errorSummary, summarize } from "../src/components/ErrorNotice";
import { characters, defaultTitle, fileRefusal, titleProblem } from "../src/upload/rules";

// The server's defaults (videoforge/modules/gallery/config.py).
const rules: UploadRules = {
  allowed_extensions: ["mp4", "m4v", "mov", "webm", "mkv", "avi", "mpg", "mpeg", "ogv", "3gp", "ts", "mts"],
  allowed_content_types: ["video/mp4", "video/quicktime", "video/webm", "video/x-matroska", "video/x-msvideo",
    "video/mpeg", "video/ogg", "video/3gpp", "video/x-m4v", "application/octet-stream"],
  title_max_length: 200,
  description_max_length: 5000,
  upload_max_size: 5 * 1024 ** 3,
};

describe("the upload allow-list", () => {
  it("refuses a text file before any form, in one sentence naming what is accepted", () => {
    const message = fileRefusal({ name: "notes.txt", type: "text/plain", size: 12 }, rules);
    expect(message).toBe(
      "“notes.txt” is not a video file this site accepts. Choose a file ending in .mp4, .m4v, .mov, .webm, .mkv, " +
        ".avi, .mpg, .mpeg, .ogv, .3gp, .ts or .mts.",
    );
    expect(fileRefusal({ name: "README", type: "", size: 12 }, rules)).toContain("is not a video file");
    expect(fileRefusal({ name: ".mp4", type: "", size: 12 }, rules)).toContain("is not a video file");
  });

  it("takes what the server takes: any case, and a type the browser leaves empty", () => {
    expect(fileRefusal({ name: "Trip.MP4", type: "video/mp4", size: 1000 }, rules)).toBeNull();
    expect(fileRefusal({ name: "trip.mkv", type: "", size: 1000 }, rules)).toBeNull();
  });

  it("refuses an accepted ending with a type the server refuses, an empty file and one too large", () => {
    expect(fileRefusal({ name: "clip.mp4", type: "image/png", size: 1000 }, rules)).toBe(
      "“clip.mp4” says it is image/png, a type this site does not accept. Choose a file ending in .mp4, .m4v, .mov, " +
        ".webm, .mkv, .avi, .mpg, .mpeg, .ogv, .3gp, .ts or .mts.",
    );
    expect(fileRefusal({ name: "clip.mp4", type: "video/mp4", size: 0 }, rules)).toBe("“clip.mp4” is empty.");
    expect(fileRefusal({ name: "clip.mp4", type: "video/mp4", size: 6e9 }, { ...rules, upload_max_size: 5e9 })).toBe(
      "“clip.mp4” is 6.00 GB; the largest upload is 5.00 GB.",
    );
  });
});

describe("titles", () => {
  it("trims a 207-character file name to the 200 limit, at a word near the end", () => {
    const name = `${"word ".repeat(40)}end.mp4`;
    expect(name.length).toBe(207);
    const title = defaultTitle(name, 200);
    expect(characters(title)).toBeLessThanOrEqual(200);
    expect(title.endsWith("word")).toBe(true);
    expect(titleProblem(title, 200)).toBeNull();
  });

  it("cuts a name without spaces at the limit exactly", () => {
    const title = defaultTitle(`${"a".repeat(203)}.mp4`, 200);
    expect(title).toBe("a".repeat(200));
    expect(defaultTitle("my_trip.final.mp4", 200)).toBe("my trip.final");
  });

  it("counts characters as the server does: an emoji is one", () => {
    expect(characters("🎬 dawn")).toBe(6);
    expect(defaultTitle(`${"🎬".repeat(201)}.mp4`, 200)).toBe("🎬".repeat(200));
    expect(titleProblem("🎬".repeat(200), 200)).toBeNull();
  });

  it("says what is wrong in people's words", () => {
    expect(titleProblem("   ", 200)).toBe("Give the video a title.");
    expect(titleProblem("x".repeat(207), 200)).toBe("The title is 7 characters too long: 200 at most.");
    expect(titleProblem("x".repeat(201), 200)).toBe("The title is 1 character too long: 200 at most.");
  });
});

describe("one message per error", () => {
  it("drops the message that only repeats the error shown at its field", () => {
    const error = new ApiError(422, "A title has at most 200 characters.", { title: "A title has at most 200 characters." });
    expect(errorSummary(error, ["title"])).toEqual({ message: null, fields: [] });
    const summary = new ApiError(422, "Check these fields: email, password.", { email: "Enter your email.", password: "x" });
    expect(errorSummary(summary, ["email", "password"])).toEqual({ message: null, fields: [] });
  });

  it("says an error no field shows once, in its own words", () => {
    expect(summarize("Files ending in .txt are not accepted.", { filename: "Files ending in .txt are not accepted." }, ["title"]))
      .toEqual({ message: "Files ending in .txt are not accepted.", fields: [] });
  });

  it("keeps a message that says something of its own", () => {
    expect(errorSummary(new ApiError(401, "Those sign-in details are not right."), ["email"])).toEqual({
      message: "Those sign-in details are not right.",
      fields: [],
    });
    expect(errorSummary(new Error("Cannot reach the server."))).toEqual({ message: "Cannot reach the server.", fields: [] });
  });
});
