// tfjs 'Add' on float32: the native broadcasting binary kernel (other dtypes: tfjs's own).
import { binaryKernel } from './binary.js';

export const addKernel = binaryKernel('Add', 'add');
