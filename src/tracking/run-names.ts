import crypto from 'node:crypto';

/**
 * MLflow names unnamed runs (and logged models) "<adjective>-<noun>-<number>", e.g. "bold-fox-512", so
 * the UI shows something readable. The exact word lists are ours.
 */
const ADJECTIVES = [
  'able', 'bold', 'brave', 'bright', 'calm', 'clever', 'crisp', 'daring', 'eager', 'fair', 'gentle', 'glad',
  'grand', 'honest', 'jolly', 'keen', 'kind', 'lively', 'lucky', 'merry', 'mighty', 'neat', 'nimble', 'polite',
  'proud', 'quick', 'quiet', 'rare', 'sharp', 'shy', 'silent', 'smooth', 'steady', 'swift', 'tidy', 'vivid',
  'warm', 'wise', 'witty', 'zesty',
];
const NOUNS = [
  'ant', 'bat', 'bear', 'bee', 'cat', 'crab', 'crane', 'deer', 'dove', 'eel', 'elk', 'finch', 'fox', 'frog',
  'goat', 'hare', 'hawk', 'heron', 'ibis', 'jay', 'koala', 'lark', 'lynx', 'mole', 'moth', 'newt', 'owl', 'panda',
  'quail', 'ram', 'seal', 'shrew', 'snail', 'stork', 'swan', 'toad', 'trout', 'wasp', 'whale', 'wren',
];

export function generateRunName(): string {
  const adjective = ADJECTIVES[crypto.randomInt(ADJECTIVES.length)];
  const noun = NOUNS[crypto.randomInt(NOUNS.length)];
  return `${adjective}-${noun}-${crypto.randomInt(1000)}`;
}
