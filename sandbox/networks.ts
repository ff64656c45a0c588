/**
 * The emulated vendors' published rules — what their developer documentation would say. The
 * sandbox enforces them; OneProfile's sandbox connector reads them as its capabilities, as a
 * real connector encodes a vendor's documented limits.
 */

export const SANDBOX_NETWORK_IDS = ["qq", "msn", "fetion", "facebook"] as const;
export type TSandboxNetworkId = (typeof SANDBOX_NETWORK_IDS)[number];

export type TImageFormat = "png" | "jpeg" | "gif" | "webp";

export interface TSandboxNetwork {
  id: TSandboxNetworkId;
  name: string;
  /** Brand colour for initials and the sandbox UI. */
  color: string;
  login: {
    /** How the vendor names the login, e.g. "QQ number". */
    label: string;
    placeholder: string;
    pattern: RegExp;
    /** Shown when a login does not match the pattern. */
    hint: string;
  };
  limits: {
    /** Counted in grapheme clusters (what a person sees as one character). */
    displayNameMax: number;
    signatureMax: number;
    moodTextMax: number;
    avatar: {
      formats: TImageFormat[];
      maxBytes: number;
      minPx: number;
      maxPx: number;
      isSquare: boolean;
    };
    /** The vendor's own mood vocabulary; anything else is refused. */
    moods: readonly string[];
  };
  demo: { login: string; password: string; displayName: string };
}

export const SANDBOX_NETWORKS: Record<TSandboxNetworkId, TSandboxNetwork> = {
  qq: {
    id: "qq",
    name: "QQ",
    color: "#12b7f5",
    login: { label: "QQ number", placeholder: "10001", pattern: /^[1-9]\d{4,10}$/, hint: "5 to 11 digits." },
    limits: {
      displayNameMax: 12,
      signatureMax: 40,
      moodTextMax: 20,
      avatar: { formats: ["jpeg", "png"], maxBytes: 512 * 1024, minPx: 40, maxPx: 640, isSquare: true },
      moods: ["😀", "😢", "😠", "😴", "🤩", "😌", "🤒", "😎", "🥰", "😐"],
    },
    demo: { login: "10001", password: "qq-demo-pass", displayName: "小明" },
  },
  msn: {
    id: "msn",
    name: "MSN",
    color: "#0078d4",
    login: {
      label: "MSN email",
      placeholder: "you@hotmail.com",
      pattern: /^[^\s@]+@[^\s@]+\.[^\s@]+$/,
      hint: "The email address of your Microsoft account.",
    },
    limits: {
      displayNameMax: 64,
      signatureMax: 128,
      moodTextMax: 0,
      avatar: { formats: ["png", "jpeg", "gif"], maxBytes: 64 * 1024, minPx: 96, maxPx: 96, isSquare: true },
      moods: ["happy", "sad", "angry", "sleepy", "excited", "relaxed", "sick", "cool", "in love", "bored"],
    },
    demo: { login: "demo@msn.example", password: "msn-demo-pass", displayName: "Demo on MSN" },
  },
  fetion: {
    id: "fetion",
    name: "Fetion",
    color: "#19a15f",
    login: {
      label: "Fetion mobile number",
      placeholder: "13800138000",
      pattern: /^1[3-9]\d{9}$/,
      hint: "An 11-digit mainland China mobile number.",
    },
    limits: {
      displayNameMax: 16,
      signatureMax: 70,
      moodTextMax: 10,
      avatar: { formats: ["jpeg"], maxBytes: 100 * 1024, minPx: 48, maxPx: 160, isSquare: true },
      moods: ["开心", "难过", "生气", "困", "兴奋", "平静", "生病", "酷", "恋爱中", "无聊"],
    },
    demo: { login: "13800138000", password: "fetion-demo-pass", displayName: "飞信演示" },
  },
  facebook: {
    id: "facebook",
    name: "Facebook",
    color: "#1877f2",
    login: {
      label: "Facebook email",
      placeholder: "you@example.com",
      pattern: /^[^\s@]+@[^\s@]+\.[^\s@]+$/,
      hint: "The email address you sign in to Facebook with.",
    },
    limits: {
      displayNameMax: 50,
      signatureMax: 101,
      moodTextMax: 30,
      avatar: {
        formats: ["jpeg", "png", "gif", "webp"],
        maxBytes: 4 * 1024 * 1024,
        minPx: 180,
        maxPx: 2048,
        isSquare: false,
      },
      moods: ["happy", "sad", "angry", "tired", "excited", "relaxed", "sick", "blessed", "loved", "bored"],
    },
    demo: { login: "demo@facebook.example", password: "facebook-demo-pass", displayName: "Demo Facebook" },
  },
};

export function isSandboxNetworkId(value: string): value is TSandboxNetworkId {
  return (SANDBOX_NETWORK_IDS as readonly string[]).includes(value);
}

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** Length as a person counts it: grapheme clusters, so an emoji or "é" is one. */
export function graphemeLength(text: string): number {
  let count = 0;
  for (const _ of segmenter.segment(text)) count++;
  return count;
}
