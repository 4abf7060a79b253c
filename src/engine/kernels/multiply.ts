// tfjs 'Multiply' on float32: the native broadcasting binary kernel (other dtypes: tfjs's own).
import { binaryKernel } from './binary.js';

export const mulKernel = binaryKernel('Multiply', 'mul');
