// Everything torchact offers C++ users.
#pragma once

#include "torchact/math.h"
#include "torchact/ops.h"
#include "torchact/nn.h"
