/* SPDX-License-Identifier: Apache-2.0 */
#include "rpm-test.h"
#include "tests.h"

TEST(placeholder)
{
}
