/**
 * The four emulated networks' published rules, as their API documents them: login formats, text
 * limits, mood words, avatar rules. A connector encodes what its vendor documents; it never reads
 * the vendor's own code (lint refuses an import of sandbox/ from server/). The contract test
 * (./networks.integration.test.ts) compares this with what the running sandbox publishes at
 * `GET /<network>/api/capabilities`.
 */
import type { TCapabilities } from "../types";

export const SANDBOX_NETWORK_IDS = ["qq", "msn", "fetion", "facebook"] as const;
export type TSandboxNetworkId = (typeof SANDBOX_NETWORK_IDS)[number];

export function isSandboxNetworkId(value: string): value is TSandboxNetworkId {
  return (SANDBOX_NETWORK_IDS as readonly string[]).includes(value);
}

export interface TSandboxNetworkRules {
  name: string;
  color: string;
  login: { label: string; placeholder: string; pattern: RegExp; hint: string };
  limits: {
    displayNameMax: number;
    signatureMax: number;
    moodTextMax: number;
    avatar: NonNullable<TCapabilities["avatar"]>;
    /** The vendor's own mood vocabulary; anything else is refused. */
    moods: readonly string[];
  };
}

export const SANDBOX_RULES: Record<TSandboxNetworkId, TSandboxNetworkRules> = {
  qq: {
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
  },
  msn: {
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
  },
  fetion: {
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
  },
  facebook: {
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
  },
};
