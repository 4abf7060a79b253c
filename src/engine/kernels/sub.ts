// tfjs 'Sub' on float32: the native broadcasting binary kernel (other dtypes: tfjs's own).
import { binaryKernel } from './binary.js';

export const subKernel = binaryKernel('Sub', 'sub');
