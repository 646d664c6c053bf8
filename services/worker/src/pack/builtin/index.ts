export { buildMiniPack, miniPackFiles, type MiniPack } from './miniPack.js';
