# SPDX-License-Identifier: BSD-2-Clause
# Lock-free core: ring, epoch reclamation.
