export { imagesCommand } from './images.ts';
export { doctorCommand, runDoctor, type Check } from './doctor.ts';
