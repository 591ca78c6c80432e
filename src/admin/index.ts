export { imagesCommand } from './images.ts';
