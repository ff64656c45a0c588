/**
 * OneProfile's own mood vocabulary. The portal offers these; each network's connector maps them
 * to the network's words (its `mood.map`), with a fallback where the network has no equivalent.
 */
export const MOODS = [
  { id: "happy", emoji: "😀", label: "Happy" },
  { id: "sad", emoji: "😢", label: "Sad" },
  { id: "angry", emoji: "😠", label: "Angry" },
  { id: "sleepy", emoji: "😴", label: "Sleepy" },
  { id: "excited", emoji: "🤩", label: "Excited" },
  { id: "relaxed", emoji: "😌", label: "Relaxed" },
  { id: "sick", emoji: "🤒", label: "Sick" },
  { id: "cool", emoji: "😎", label: "Cool" },
  { id: "in_love", emoji: "🥰", label: "In love" },
  { id: "bored", emoji: "😐", label: "Bored" },
] as const;

export type TMood = (typeof MOODS)[number]["id"];
export const MOOD_IDS = MOODS.map((mood) => mood.id) as unknown as readonly [TMood, ...TMood[]];

export function moodLabel(id: string): string {
  const mood = MOODS.find((m) => m.id === id);
  return mood ? `${mood.emoji} ${mood.label}` : id;
}
