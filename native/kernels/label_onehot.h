// The loss's to_onehot_y in one pass: float class labels [n] → channels-last one-hot [n, depth]
// float32, with tfjs's semantics of cast(round(label), 'int32') then oneHot (four tfjs passes,
// three of them pure JavaScript): round half to even, JavaScript's ToInt32 (NaN and ±Inf → 0,
// wrap modulo 2^32), and an index outside [0, depth) gives a row of zeros. Plain C++.
#pragma once
#include <cstdint>

namespace clara {

// The class index tfjs's cast(round(v), 'int32') gives.
int32_t label_index(float v);

// out [n, depth] is written in full.
void label_onehot_f32(const float* label, int64_t n, int64_t depth, float* out);

}  // namespace clara
